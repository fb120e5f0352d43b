"""Part C panels and rubrics: who sits on a round's interview panels, what they score against,
conflicts of interest declared per candidate, the quorum, the chair's substitutes, and the
acting chair HR names when the chair is the one recused.

Plain functions over the models; each change is audited in its own transaction and refusals are
domain errors with a message the user can read. Live scoring (scoring.py) builds on
`scoring_members`, `quorum_met`, `declare_conflict` and `name_substitute`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..accounts.models import Role, User, UserRole
from ..applications.models import Application
from ..audit.services import record
from ..common.access import need_hr_of_round
from ..common.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from ..common.lookup import get_or_not_found
from ..extensions import db
from ..recruitment.models import Round, StageKind
from .models import (
    ConflictDeclaration,
    CriterionScore,
    Interview,
    InterviewSlot,
    MemberSubmission,
    Panel,
    PanelMember,
    Rubric,
    RubricCriterion,
    Substitute,
)

CHAIR, MEMBER, SUBSTITUTE = "chair", "member", "substitute"
MEAN, MEDIAN = "mean", "median"
ONLINE, ONSITE = "online", "onsite"
DEFAULT_QUORUM = 3
MAX_QUORUM = 15
DEFAULT_SPREAD = Decimal("15")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LINK_RE = re.compile(r"^https?://\S+$")
# An interview past these states has no more use for conflict declarations or substitutes.
CLOSED_STATES = ("finalized", "cancelled", "no_show")


def _criterion(code: str, title_th: str, title_en: str, levels: list[tuple[str, str]]) -> dict:
    """A criterion of the default rubric: 20 points, and what 20, 15, 10 and 5 points mean
    (levels: a (Thai, English) pair for each, best first)."""
    return dict(
        code=code,
        title_th=title_th,
        title_en=title_en,
        max_points=Decimal("20"),
        descriptors=[
            {"points": points, "th": th, "en": en}
            for points, (th, en) in zip((20, 15, 10, 5), levels, strict=True)
        ],
    )


# The default rubric of the issue: five criteria of 20 points each, with what each level means.
DEFAULT_CRITERIA = [
    _criterion(
        "knowledge",
        "ความรู้ที่ใช้ในการปฏิบัติงาน",
        "Knowledge for the job",
        [
            (
                "อธิบายหลักการและการนำไปใช้ในงานของตำแหน่งได้ครบถ้วน ถูกต้อง พร้อมตัวอย่าง",
                "Explains the principles and their use in the position fully, with examples",
            ),
            ("อธิบายหลักการสำคัญได้ถูกต้อง", "Explains the main principles correctly"),
            ("รู้หลักการบางส่วน ยังนำไปใช้ไม่ได้ชัดเจน", "Knows some principles, unclear how to apply them"),
            ("ความรู้ไม่เพียงพอต่อการปฏิบัติงาน", "Knowledge insufficient for the job"),
        ],
    ),
    _criterion(
        "experience",
        "ประสบการณ์และผลงาน",
        "Experience and achievements",
        [
            (
                "มีผลงานที่เกี่ยวข้องโดยตรง วัดผลได้ และอธิบายบทบาทของตนได้ชัดเจน",
                "Directly relevant, measurable results; own role clearly explained",
            ),
            ("มีประสบการณ์ที่เกี่ยวข้องและผลงานที่อ้างอิงได้", "Relevant experience with results that can be checked"),
            ("มีประสบการณ์ใกล้เคียงบางส่วน", "Some related experience"),
            ("มีประสบการณ์น้อยหรือไม่เกี่ยวข้อง", "Little or unrelated experience"),
        ],
    ),
    _criterion(
        "reasoning",
        "การคิดวิเคราะห์และการใช้เหตุผล",
        "Reasoning",
        [
            (
                "วิเคราะห์ปัญหาเป็นระบบ เสนอทางเลือกพร้อมเหตุผลและผลกระทบ",
                "Analyses systematically; weighs options with reasons and consequences",
            ),
            ("วิเคราะห์ปัญหาได้และให้เหตุผลประกอบ", "Analyses the problem with reasons"),
            ("ให้เหตุผลได้บางส่วน ยังขาดความเชื่อมโยง", "Partial reasoning, links missing"),
            ("ไม่สามารถให้เหตุผลประกอบได้", "Cannot support answers with reasons"),
        ],
    ),
    _criterion(
        "communication",
        "การสื่อสาร",
        "Communication",
        [
            (
                "สื่อสารชัดเจน กระชับ ตรงประเด็น รับฟังและตอบคำถามได้ดี",
                "Clear, concise and to the point; listens and answers well",
            ),
            ("สื่อสารชัดเจนเป็นส่วนใหญ่", "Mostly clear"),
            ("สื่อสารได้แต่วกวนหรือไม่ตรงประเด็นบางครั้ง", "Understandable but sometimes rambling or off the point"),
            ("สื่อสารไม่ชัดเจน", "Unclear"),
        ],
    ),
    _criterion(
        "ethics",
        "ทัศนคติ คุณธรรม และจริยธรรม",
        "Attitude and ethics",
        [
            (
                "แสดงทัศนคติที่ดีต่องานบริการประชาชน ยึดมั่นความซื่อสัตย์และประโยชน์ส่วนรวม",
                "Service-minded; holds to integrity and the public interest",
            ),
            ("มีทัศนคติและหลักจริยธรรมที่เหมาะสม", "Suitable attitude and ethics"),
            ("ทัศนคติหรือหลักจริยธรรมบางประการยังไม่ชัดเจน", "Some attitudes or ethical views unclear"),
            ("ทัศนคติหรือหลักจริยธรรมไม่เหมาะสมกับการรับราชการ", "Attitude or ethics unsuited to public service"),
        ],
    ),
]


# ---- who may ----------------------------------------------------------------------------

# HR of the round's agency, or Forbidden: the one rule of app/common/access.py.
need_hr = need_hr_of_round


def _part_c(round_: Round):
    stage = round_.stage(StageKind.PART_C)
    if stage is None:
        raise NotAllowed(_("This round has no Part C (interview) stage."))
    return stage


def get_panel(panel_id: int) -> Panel:
    return get_or_not_found(Panel, panel_id, _("No such interview panel."))


def panel_for_hr(panel_id: int, user) -> Panel:
    panel = get_panel(panel_id)
    need_hr(user, panel.round)
    return panel


def get_interview(interview_id: int) -> Interview:
    return get_or_not_found(Interview, interview_id, _("No such interview."))


def panels_of_round(round_: Round) -> list[Panel]:
    return list(db.session.scalars(select(Panel).where(Panel.round_id == round_.id).order_by(Panel.id)))


def panel_of(interview: Interview) -> Panel:
    return interview.slot.panel


def chair_of(panel: Panel) -> User | None:
    return next((m.user for m in panel.members if m.role == CHAIR), None)


def membership(panel: Panel, user) -> PanelMember | None:
    user_id = getattr(user, "id", user)
    return next((m for m in panel.members if m.user_id == user_id), None)


def substitutes_of(interview: Interview) -> list[Substitute]:
    return list(
        db.session.scalars(
            select(Substitute).where(Substitute.interview_id == interview.id).order_by(Substitute.id)
        )
    )


def panel_role(interview: Interview, user) -> str | None:
    """ "chair", "member" or "substitute" for this interview, else None."""
    m = membership(panel_of(interview), user)
    if m is not None:
        return m.role
    user_id = getattr(user, "id", user)
    if any(s.user_id == user_id for s in substitutes_of(interview)):
        return SUBSTITUTE
    return None


def slot_link(slot: InterviewSlot) -> str:
    """An online slot's meeting link: its own, else the panel's."""
    return (slot.meeting_link or slot.panel.meeting_link) if slot.mode == ONLINE else ""


def slot_room(slot: InterviewSlot) -> str:
    """An on-site slot's room: its own, else the panel's."""
    return (slot.room or slot.panel.room) if slot.mode == ONSITE else ""


def slot_location(slot: InterviewSlot) -> str:
    return slot_link(slot) or slot_room(slot)


def panel_users() -> list[User]:
    """Active users holding the panel role, by Thai name (who HR can put on a panel)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.PANEL, User.active.is_(True))
            .order_by(User.first_name_th, User.last_name_th, User.id)
        )
    )


def panels_of_member(user) -> list[Panel]:
    """The panels a user sits on, newest first (for the panel member's own pages)."""
    return list(
        db.session.scalars(
            select(Panel)
            .join(PanelMember, PanelMember.panel_id == Panel.id)
            .where(PanelMember.user_id == getattr(user, "id", user))
            .order_by(Panel.created_at.desc(), Panel.id.desc())
        )
    )


# ---- panels -----------------------------------------------------------------------------


def _panel_snapshot(panel: Panel) -> dict:
    return {
        "round": panel.round_id,
        "name": panel.name,
        "quorum": panel.quorum,
        "aggregate": panel.aggregate,
        "spread_threshold": panel.spread_threshold,
        "mode": panel.mode,
        "meeting_link": panel.meeting_link,
        "room": panel.room,
    }


def _clean_panel_values(name, quorum, aggregate, spread_threshold, mode, meeting_link, room) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the panel a name."), "name")
    if len(name) > 200:
        raise ValidationFailed(_("The name is at most 200 characters."), "name")
    try:
        quorum = int(quorum)
    except (TypeError, ValueError):
        quorum = 0
    if not 1 <= quorum <= MAX_QUORUM:
        raise ValidationFailed(
            _("The quorum is from 1 to %(max)s scoring members.", max=MAX_QUORUM), "quorum"
        )
    if aggregate not in (MEAN, MEDIAN):
        raise ValidationFailed(_("Choose the mean or the median."), "aggregate")
    try:
        spread = Decimal(str(spread_threshold))
    except (InvalidOperation, ValueError):
        spread = Decimal(-1)
    if not Decimal(0) <= spread <= Decimal(1000):
        raise ValidationFailed(_("The spread threshold is from 0 to 1,000 points."), "spread_threshold")
    if mode not in (ONLINE, ONSITE):
        raise ValidationFailed(_("Choose online or on site."), "mode")
    meeting_link, room = (meeting_link or "").strip(), (room or "").strip()
    if meeting_link and not LINK_RE.match(meeting_link):
        raise ValidationFailed(_("The meeting link must start with https:// or http://."), "meeting_link")
    if len(meeting_link) > 500:
        raise ValidationFailed(_("The meeting link is at most 500 characters."), "meeting_link")
    if len(room) > 200:
        raise ValidationFailed(_("The room is at most 200 characters."), "room")
    return dict(
        name=name,
        quorum=quorum,
        aggregate=aggregate,
        spread_threshold=spread.quantize(Decimal("0.01")),
        mode=mode,
        meeting_link=meeting_link,
        room=room,
    )


def create_panel(
    round_: Round,
    actor,
    *,
    name: str,
    quorum: int = DEFAULT_QUORUM,
    aggregate: str = MEAN,
    spread_threshold=DEFAULT_SPREAD,
    mode: str = ONLINE,
    meeting_link: str = "",
    room: str = "",
) -> Panel:
    """A panel for the round's Part C, set up by HR of the round's agency."""
    need_hr(actor, round_)
    _part_c(round_)
    values = _clean_panel_values(name, quorum, aggregate, spread_threshold, mode, meeting_link, room)
    panel = Panel(round_id=round_.id, created_by_id=actor.id, **values)
    db.session.add(panel)
    db.session.flush()
    record("panel.create", panel, actor=actor, after=_panel_snapshot(panel))
    db.session.commit()
    return panel


def scoring_started(panel: Panel) -> bool:
    """Whether any member has entered a score for an interview of this panel."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CriterionScore.interview_id == Interview.id,
                    Interview.slot_id == InterviewSlot.id,
                    InterviewSlot.panel_id == panel.id,
                )
            )
        )
    )


def update_panel(
    panel: Panel,
    actor,
    *,
    name: str,
    quorum: int,
    aggregate: str,
    spread_threshold,
    mode: str,
    meeting_link: str = "",
    room: str = "",
) -> Panel:
    """HR edits the panel; how scores combine (quorum, mean/median, spread) is fixed once any
    member has scored, so that no candidate is judged by rules changed halfway."""
    need_hr(actor, panel.round)
    values = _clean_panel_values(name, quorum, aggregate, spread_threshold, mode, meeting_link, room)
    before = _panel_snapshot(panel)
    if scoring_started(panel) and any(
        values[k] != before[k] for k in ("quorum", "aggregate", "spread_threshold")
    ):
        raise NotAllowed(
            _("Scoring has begun: the quorum, aggregate and spread threshold can no longer change.")
        )
    for key, value in values.items():
        setattr(panel, key, value)
    record("panel.update", panel, actor=actor, before=before, after=_panel_snapshot(panel))
    db.session.commit()
    return panel


def add_member(panel: Panel, actor, user: User, role: str = MEMBER) -> PanelMember:
    """Put a panel-role user on the panel; a panel has exactly one chair."""
    need_hr(actor, panel.round)
    if user is None:
        raise ValidationFailed(_("Choose the member."), "user_id")
    if role not in (CHAIR, MEMBER):
        raise ValidationFailed(_("Choose chair or member."), "role")
    if not user.has_role(Role.PANEL) or not user.active:
        raise ValidationFailed(_("Only active users with the panel role can sit on a panel."), "user_id")
    if membership(panel, user) is not None:
        raise NotAllowed(_("%(name)s is already on this panel.", name=user.full_name_th), "user_id")
    if role == CHAIR and chair_of(panel) is not None:
        raise NotAllowed(_("The panel already has a chair."), "role")
    applied = db.session.scalar(
        select(exists().where(Application.round_id == panel.round_id, Application.candidate_id == user.id))
    )
    if applied:
        raise NotAllowed(
            _("%(name)s has applied to this round and cannot judge it.", name=user.full_name_th), "user_id"
        )
    member = PanelMember(panel_id=panel.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.flush()
    db.session.refresh(panel)
    record("panel.add_member", member, actor=actor, after={"panel": panel.id, "user": user.id, "role": role})
    db.session.commit()
    return member


def remove_member(panel: Panel, actor, member: PanelMember) -> None:
    """Take a member off the panel, unless they already declared or scored for a candidate."""
    need_hr(actor, panel.round)
    if member is None or member.panel_id != panel.id:
        raise NotFound(_("No such panel member."))
    acted = db.session.scalar(
        select(
            exists().where(
                Interview.slot_id == InterviewSlot.id,
                InterviewSlot.panel_id == panel.id,
                (
                    exists().where(
                        CriterionScore.interview_id == Interview.id, CriterionScore.user_id == member.user_id
                    )
                )
                | (
                    exists().where(
                        ConflictDeclaration.interview_id == Interview.id,
                        ConflictDeclaration.user_id == member.user_id,
                    )
                ),
            )
        )
    )
    if acted:
        raise NotAllowed(_("This member has already taken part in interviews and stays on the record."))
    record(
        "panel.remove_member",
        member,
        actor=actor,
        before={"panel": panel.id, "user": member.user_id, "role": member.role},
    )
    db.session.delete(member)
    db.session.commit()
    db.session.refresh(panel)


def panel_problems(panel: Panel) -> list[str]:
    """What keeps the panel from interviewing, in words (empty when ready)."""
    problems = []
    if chair_of(panel) is None:
        problems.append(_("The panel has no chair."))
    if len(panel.members) < panel.quorum:
        problems.append(
            _(
                "The panel has %(n)s members, fewer than its quorum of %(q)s.",
                n=len(panel.members),
                q=panel.quorum,
            )
        )
    return problems


# ---- rubric -----------------------------------------------------------------------------


def rubric_of(round_: Round) -> Rubric | None:
    return db.session.scalar(select(Rubric).where(Rubric.round_id == round_.id))


def rubric_total(rubric: Rubric | None) -> Decimal:
    return sum((c.max_points for c in rubric.criteria), Decimal(0)) if rubric else Decimal(0)


def rubric_locked(round_: Round) -> bool:
    """A rubric is fixed once any member has scored against it."""
    rubric = rubric_of(round_)
    if rubric is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CriterionScore.criterion_id == RubricCriterion.id, RubricCriterion.rubric_id == rubric.id
                )
            )
        )
    )


def _rubric_snapshot(rubric: Rubric) -> list[dict]:
    return [
        {
            "code": c.code,
            "title_th": c.title_th,
            "title_en": c.title_en,
            "max_points": c.max_points,
            "descriptors": c.descriptors,
        }
        for c in rubric.criteria
    ]


def _clean_criterion(spec: dict) -> dict:
    code = (spec.get("code") or "").strip().lower()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            _("The code is lower-case letters, digits and _ and starts with a letter (at most 40)."), "code"
        )
    title_th = (spec.get("title_th") or "").strip()
    if not title_th:
        raise ValidationFailed(_("Give the criterion's Thai title."), "title_th")
    title_en = (spec.get("title_en") or "").strip()
    if len(title_th) > 200 or len(title_en) > 200:
        raise ValidationFailed(_("A title is at most 200 characters."), "title_th")
    try:
        max_points = Decimal(str(spec.get("max_points")))
    except (InvalidOperation, ValueError):
        max_points = Decimal(0)
    if not Decimal(0) < max_points <= Decimal(1000):
        raise ValidationFailed(_("The maximum points are more than 0 and at most 1,000."), "max_points")
    levels = []
    for level in spec.get("descriptors") or []:
        try:
            points = Decimal(str(level.get("points")))
        except (InvalidOperation, ValueError, AttributeError):
            raise ValidationFailed(_("Each level needs its points."), "descriptors") from None
        if not Decimal(0) <= points <= max_points:
            raise ValidationFailed(
                _("A level's points are from 0 to the criterion's maximum."), "descriptors"
            )
        th, en = (level.get("th") or "").strip(), (level.get("en") or "").strip()
        if not th and not en:
            raise ValidationFailed(_("Each level needs a description."), "descriptors")
        levels.append(
            {
                "points": int(points) if points == points.to_integral_value() else float(points),
                "th": th,
                "en": en,
            }
        )
    levels.sort(key=lambda lv: -lv["points"])
    return dict(
        code=code,
        title_th=title_th,
        title_en=title_en,
        max_points=max_points.quantize(Decimal("0.01")),
        descriptors=levels,
    )


def _editable_rubric(round_: Round, actor) -> Rubric:
    need_hr(actor, round_)
    _part_c(round_)
    if rubric_locked(round_):
        raise NotAllowed(_("Members have started scoring: the rubric can no longer change."))
    rubric = rubric_of(round_)
    if rubric is None:
        rubric = Rubric(round_id=round_.id)
        db.session.add(rubric)
        db.session.flush()
    return rubric


def set_rubric(round_: Round, actor, criteria: list[dict]) -> Rubric:
    """Replace the round's rubric with `criteria` (code, title_th, title_en, max_points,
    descriptors [{points, th, en}]), while nobody has scored against it."""
    cleaned = [_clean_criterion(spec) for spec in criteria]
    if not cleaned:
        raise ValidationFailed(_("A rubric needs at least one criterion."), "code")
    codes = [c["code"] for c in cleaned]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(_("Each criterion needs its own code."), "code")
    rubric = _editable_rubric(round_, actor)
    before = _rubric_snapshot(rubric)
    rubric.criteria.clear()
    db.session.flush()  # the old codes go before the new ones take them (unique per rubric)
    for seq, spec in enumerate(cleaned, start=1):
        rubric.criteria.append(RubricCriterion(seq=seq, **spec))
    db.session.flush()
    record("rubric.set", rubric, actor=actor, before=before, after=_rubric_snapshot(rubric))
    db.session.commit()
    return rubric


def use_default_rubric(round_: Round, actor) -> Rubric:
    """The five criteria of 20 points each (knowledge, experience, reasoning, communication,
    attitude and ethics)."""
    return set_rubric(round_, actor, [dict(c) for c in DEFAULT_CRITERIA])


def add_criterion(round_: Round, actor, **spec) -> RubricCriterion:
    cleaned = _clean_criterion(spec)
    rubric = _editable_rubric(round_, actor)
    if any(c.code == cleaned["code"] for c in rubric.criteria):
        raise ValidationFailed(_("The rubric already has a criterion with this code."), "code")
    before = _rubric_snapshot(rubric)
    criterion = RubricCriterion(seq=max((c.seq for c in rubric.criteria), default=0) + 1, **cleaned)
    rubric.criteria.append(criterion)
    db.session.flush()
    record("rubric.add_criterion", rubric, actor=actor, before=before, after=_rubric_snapshot(rubric))
    db.session.commit()
    return criterion


def remove_criterion(round_: Round, actor, criterion_id: int) -> None:
    rubric = _editable_rubric(round_, actor)
    criterion = next((c for c in rubric.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound(_("No such criterion."))
    before = _rubric_snapshot(rubric)
    rubric.criteria.remove(criterion)
    for seq, c in enumerate(rubric.criteria, start=1):
        c.seq = seq
    db.session.flush()
    record("rubric.remove_criterion", rubric, actor=actor, before=before, after=_rubric_snapshot(rubric))
    db.session.commit()


# ---- conflicts of interest, quorum and substitutes -----------------------------------------


def conflict_of(interview: Interview, user) -> ConflictDeclaration | None:
    return db.session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.interview_id == interview.id,
            ConflictDeclaration.user_id == getattr(user, "id", user),
        )
    )


def conflicted_user_ids(interview: Interview) -> set[int]:
    return set(
        db.session.scalars(
            select(ConflictDeclaration.user_id).where(
                ConflictDeclaration.interview_id == interview.id, ConflictDeclaration.has_conflict.is_(True)
            )
        )
    )


def declare_conflict(interview: Interview, user, has_conflict: bool, note: str = "") -> ConflictDeclaration:
    """A member's (or substitute's) declaration for this candidate, before scoring them.

    A declared conflict recuses the member for this candidate and stands: it cannot be taken
    back. "No conflict" may later turn into a conflict (something comes to light), until the
    member has submitted their scores.
    """
    if panel_role(interview, user) is None:
        raise Forbidden(_("Only the panel's members declare conflicts for its candidates."))
    if interview.status in CLOSED_STATES:
        raise NotAllowed(_("This interview is closed."))
    note = (note or "").strip()
    if has_conflict and not note:
        raise ValidationFailed(_("Say what the conflict of interest is."), "note")
    if len(note) > 2000:
        raise ValidationFailed(_("The note is at most 2,000 characters."), "note")
    existing = conflict_of(interview, user)
    if existing is not None:
        if existing.has_conflict:
            raise NotAllowed(_("You have declared a conflict for this candidate; it stands."))
        if not has_conflict:
            return existing  # the same declaration again
        submitted = db.session.scalar(
            select(
                exists().where(
                    MemberSubmission.interview_id == interview.id, MemberSubmission.user_id == user.id
                )
            )
        )
        if submitted:
            raise NotAllowed(_("You have submitted your scores for this candidate."))
        before = {"has_conflict": False, "note": existing.note}
        existing.has_conflict, existing.note = True, note
        record(
            "interview.conflict_declare",
            existing,
            actor=user,
            before=before,
            after={"interview": interview.id, "has_conflict": True, "note": note},
        )
        db.session.commit()
        return existing
    declaration = ConflictDeclaration(
        interview_id=interview.id, user_id=user.id, has_conflict=bool(has_conflict), note=note
    )
    db.session.add(declaration)
    db.session.flush()
    record(
        "interview.conflict_declare",
        declaration,
        actor=user,
        after={"interview": interview.id, "has_conflict": bool(has_conflict), "note": note},
    )
    db.session.commit()
    return declaration


def scoring_members(interview: Interview) -> list[User]:
    """Who scores this candidate: the panel's members (chair first) without a declared
    conflict, then the substitutes the chair named, also without one."""
    conflicted = conflicted_user_ids(interview)
    panel = panel_of(interview)
    members = sorted(panel.members, key=lambda m: (m.role != CHAIR, m.id))
    users = [m.user for m in members if m.user_id not in conflicted]
    subs = [s.user_id for s in substitutes_of(interview) if s.user_id not in conflicted]
    users += [db.session.get(User, uid) for uid in subs]
    return users


def quorum_met(interview: Interview) -> bool:
    return len(scoring_members(interview)) >= panel_of(interview).quorum


def busy_elsewhere(user_id: int, slot: InterviewSlot) -> bool:
    """Whether the user sits, at the slot's time, in a booked slot of another panel (as a member
    or as a substitute)."""
    overlapping = (InterviewSlot.starts_at < slot.ends_at) & (InterviewSlot.ends_at > slot.starts_at)
    as_member = select(
        exists().where(
            Interview.slot_id == InterviewSlot.id,
            InterviewSlot.cancelled.is_(False),
            Interview.status != "cancelled",
            overlapping,
            InterviewSlot.panel_id != slot.panel_id,
            InterviewSlot.panel_id.in_(select(PanelMember.panel_id).where(PanelMember.user_id == user_id)),
        )
    )
    as_substitute = select(
        exists().where(
            Substitute.user_id == user_id,
            Substitute.interview_id == Interview.id,
            Interview.slot_id == InterviewSlot.id,
            InterviewSlot.cancelled.is_(False),
            Interview.status != "cancelled",
            overlapping,
            InterviewSlot.id != slot.id,
        )
    )
    return bool(db.session.scalar(as_member) or db.session.scalar(as_substitute))


def name_substitute(interview: Interview, chair, user: User) -> Substitute:
    """The chair names a substitute for this interview (when recusals leave the panel short):
    a panel-role user, not already scoring, not conflicted, and free at that time."""
    panel = panel_of(interview)
    if presiding_chair_id(interview) != getattr(chair, "id", None):
        raise Forbidden(_("Only the chair presiding over this interview names substitutes."))
    if interview.status in CLOSED_STATES:
        raise NotAllowed(_("This interview is closed."))
    if user is None:
        raise ValidationFailed(_("Choose the substitute."), "user_id")
    if not user.has_role(Role.PANEL) or not user.active:
        raise ValidationFailed(_("A substitute must be an active user with the panel role."), "user_id")
    if user.id in conflicted_user_ids(interview):
        raise NotAllowed(
            _("%(name)s has declared a conflict for this candidate.", name=user.full_name_th), "user_id"
        )
    if panel_role(interview, user) is not None:
        raise NotAllowed(_("%(name)s already sits on this panel.", name=user.full_name_th), "user_id")
    if user.id == interview.application.candidate_id:
        raise NotAllowed(_("The candidate cannot judge their own interview."), "user_id")
    if busy_elsewhere(user.id, interview.slot):
        raise NotAllowed(_("%(name)s sits on another panel at that time.", name=user.full_name_th), "user_id")
    sub = Substitute(interview_id=interview.id, user_id=user.id, named_by_id=chair.id)
    db.session.add(sub)
    db.session.flush()
    record(
        "interview.substitute",
        sub,
        actor=chair,
        after={"interview": interview.id, "user": user.id, "panel": panel.id},
    )
    db.session.commit()
    return sub


# ---- the acting chair ---------------------------------------------------------------------
# A chair who declared a conflict for a candidate may not decide that candidate's score. As in
# any Thai committee whose chair cannot act for a matter (พ.ร.บ.วิธีปฏิบัติราชการทางปกครอง
# มาตรา 80), another member presides over it: HR of the round's agency records which scoring
# member that is (scoring.name_acting_chair).


def presiding_chair_id(interview: Interview) -> int | None:
    """Who presides over this interview (finalizes, corrects, names substitutes): the acting
    chair HR named for it, else the panel's chair."""
    if interview.acting_chair_id is not None:
        return interview.acting_chair_id
    chair = chair_of(panel_of(interview))
    return chair.id if chair else None


def chair_recused(interview: Interview) -> bool:
    chair = chair_of(panel_of(interview))
    return chair is not None and chair.id in conflicted_user_ids(interview)


def chair_recusals(round_: Round) -> list[Interview]:
    """The round's interviews (not cancelled, not no-show) whose panel chair declared a
    conflict: an open one needs an acting chair before its score can be finalized; a finalized
    one shows who presided."""
    interviews = db.session.scalars(
        select(Interview)
        .join(InterviewSlot, InterviewSlot.id == Interview.slot_id)
        .join(Panel, Panel.id == InterviewSlot.panel_id)
        .join(PanelMember, (PanelMember.panel_id == Panel.id) & (PanelMember.role == CHAIR))
        .join(
            ConflictDeclaration,
            (ConflictDeclaration.interview_id == Interview.id)
            & (ConflictDeclaration.user_id == PanelMember.user_id)
            & ConflictDeclaration.has_conflict.is_(True),
        )
        .where(Panel.round_id == round_.id, Interview.status.not_in(("cancelled", "no_show")))
        .order_by(InterviewSlot.starts_at, Interview.id)
    )
    return list(interviews)
