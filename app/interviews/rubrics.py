"""A round's Part C rubric: the default criteria with what each level of points means, HR's edits
while no member has scored, the total and whether it is locked."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..audit.services import record
from ..common.errors import NotAllowed, NotFound, ValidationFailed
from ..extensions import db
from ..recruitment.models import Round
from .models import (
    CriterionScore,
    Rubric,
    RubricCriterion,
)
from .services import CODE_RE, need_hr, part_c_stage


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
    part_c_stage(round_)
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
