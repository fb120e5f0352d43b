"""Recruitment rounds: creating them, the rules of their states, and the internal quota."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select

from ..agencies.models import Agency
from ..audit.services import record
from ..common.access import is_hr_of, need_hr_of_round
from ..common.clock import BANGKOK, now, to_utc
from ..common.errors import NotAllowed, NotFound, ValidationFailed
from ..common.i18n import current_locale, labeller
from ..common.lookup import get_or_not_found
from ..extensions import db
from .models import Accommodation, Mode, Position, Round, RoundStage, RoundStatus, StageKind

# Recruitment shows facts about applications (HR's counts, a candidate's own application) but
# applications build on recruitment, not the other way round: recruitment asks through these
# signals and applications answer (receivers connected in app/applications/services.py).
signals = Namespace()
# Asked with round_ids=[…]: receivers answer {round id: {application status: how many}}.
round_application_counts = signals.signal("round-application-counts")
# Asked with (round, user=…): receivers answer the user's active application to it, or None.
candidate_application = signals.signal("round-candidate-application")

DEFAULT_PASS_PERCENT = Decimal("60")
DEFAULT_INTERNAL_QUOTA_PERCENT = Decimal("4")
DEFAULT_MIN_SERVICE_YEARS = 5

# The stages each mode has unless HR says otherwise (domain notes): (kind, max score, ranking?)
DEFAULT_STAGES: dict[str, list[tuple[str, int, bool]]] = {
    Mode.COMPETITIVE_EXAM: [
        (StageKind.PART_A, 200, False),
        (StageKind.PART_B, 200, True),
        (StageKind.PART_C, 100, True),
    ],
    Mode.SELECTION_EXAM: [(StageKind.PART_B, 200, True), (StageKind.PART_C, 100, True)],
    Mode.SELECTION: [(StageKind.QUALIFICATIONS, 100, True), (StageKind.PART_C, 100, True)],
    Mode.SHORTAGE: [(StageKind.QUALIFICATIONS, 100, True), (StageKind.PART_C, 100, True)],
    Mode.DISABILITY: [(StageKind.PART_B, 200, True), (StageKind.PART_C, 100, True)],
}

# Which state may move to which, and what each state allows.
TRANSITIONS = {
    RoundStatus.DRAFT: {RoundStatus.OPEN},
    RoundStatus.OPEN: {RoundStatus.CLOSED},
    RoundStatus.CLOSED: {RoundStatus.IN_PROGRESS, RoundStatus.OPEN},  # reopen = extend window
    RoundStatus.IN_PROGRESS: {RoundStatus.COMPLETED},
    RoundStatus.COMPLETED: set(),
}
EDITABLE_STATES = {RoundStatus.DRAFT}

CRITERIA_FIELDS = (
    "min_education_level",
    "fields_of_study",
    "min_gpa",
    "min_age",
    "max_age",
    "min_service_years",
    "requires_disability_registration",
    "shortage_degrees",
)
ROUND_FIELDS = (
    "code",
    "position_id",
    "mode",
    "title_th",
    "title_en",
    "description_th",
    "description_en",
    "opens_at",
    "closes_at",
    "vacancies",
    "quota_percent",
    "eligible_headcount",
    "accommodations_offered",
    *CRITERIA_FIELDS,
)


@dataclass
class StageSpec:
    kind: str
    max_score: Decimal
    weight: Decimal = Decimal("1")
    pass_percent: Decimal = DEFAULT_PASS_PERCENT
    counts_for_ranking: bool = False


def default_stages(mode: str) -> list[StageSpec]:
    return [
        StageSpec(kind, Decimal(max_score), counts_for_ranking=ranking)
        for kind, max_score, ranking in DEFAULT_STAGES[mode]
    ]


def quota_vacancies(eligible_headcount: int, quota_percent: Decimal | float | int) -> int:
    """Internal rounds: the quota share of the eligible headcount, rounded down (never above it)."""
    if eligible_headcount < 0:
        raise ValidationFailed(_("The eligible headcount cannot be negative."), "eligible_headcount")
    return math.floor(Decimal(eligible_headcount) * Decimal(str(quota_percent)) / Decimal(100))


def snapshot(round_: Round) -> dict:
    data = {f: getattr(round_, f) for f in ROUND_FIELDS}
    data["status"] = round_.status
    data["stages"] = [
        {
            "kind": s.kind,
            "max_score": s.max_score,
            "weight": s.weight,
            "pass_percent": s.pass_percent,
            "counts_for_ranking": s.counts_for_ranking,
        }
        for s in round_.stages
    ]
    return data


# ---- positions ---------------------------------------------------------------------------


def create_position(
    agency_id: int,
    actor,
    *,
    title_th: str,
    level: str,
    title_en: str = "",
    qualifications_th: str = "",
    qualifications_en: str = "",
) -> Position:
    if not title_th.strip():
        raise ValidationFailed(_("A Thai title is required."), "title_th")
    position = Position(
        agency_id=agency_id,
        title_th=title_th.strip(),
        title_en=title_en.strip(),
        level=level.strip(),
        qualifications_th=qualifications_th,
        qualifications_en=qualifications_en,
    )
    db.session.add(position)
    db.session.flush()
    record(
        "position.create",
        position,
        actor=actor,
        after={"title_th": position.title_th, "level": position.level},
    )
    db.session.commit()
    return position


def positions_of(agency_id: int) -> list[Position]:
    return list(
        db.session.scalars(
            select(Position).where(Position.agency_id == agency_id).order_by(Position.title_th)
        )
    )


# ---- rounds ------------------------------------------------------------------------------


def _validate(values: dict, agency_id: int) -> None:
    mode = values.get("mode")
    if mode not in Mode.ALL:
        raise ValidationFailed(_("Choose a recruitment mode."), "mode")
    code = (values.get("code") or "").strip()
    if not code:
        raise ValidationFailed(_("A round code is required."), "code")
    if len(code) > 30:
        raise ValidationFailed(_("A round code has at most 30 characters."), "code")
    if not (values.get("title_th") or "").strip():
        raise ValidationFailed(_("A Thai title is required."), "title_th")
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if not isinstance(opens, datetime) or not isinstance(closes, datetime):
        raise ValidationFailed(_("The application window needs a start and an end."), "opens_at")
    if to_utc(closes) <= to_utc(opens):
        raise ValidationFailed(_("Applications must close after they open."), "closes_at")
    position_id = values.get("position_id")
    position = db.session.get(Position, position_id) if position_id is not None else None
    if position is None or position.agency_id != agency_id:
        raise ValidationFailed(_("Choose a position of your agency."), "position_id")
    for name in ("min_age", "max_age", "min_service_years"):
        if values.get(name) is not None and values[name] < 0:
            raise ValidationFailed(_("This number cannot be negative."), name)
    lo, hi = values.get("min_age"), values.get("max_age")
    if lo is not None and hi is not None and lo > hi:
        raise ValidationFailed(_("The minimum age is above the maximum age."), "min_age")
    gpa = values.get("min_gpa")
    if gpa is not None and not (Decimal(0) <= Decimal(str(gpa)) <= Decimal(4)):
        raise ValidationFailed(_("The minimum GPA must be between 0.00 and 4.00."), "min_gpa")
    if mode == Mode.SELECTION_EXAM and values.get("eligible_headcount") is not None:
        # The vacancies are derived from the quota; the given number does not matter.
        quota = values.get("quota_percent")
        if quota is not None and not (Decimal(0) < Decimal(str(quota)) <= Decimal(100)):
            raise ValidationFailed(_("The quota is a percentage above 0 and at most 100."), "quota_percent")
        if values["eligible_headcount"] < 0:
            raise ValidationFailed(_("The eligible headcount cannot be negative."), "eligible_headcount")
    else:
        vacancies = values.get("vacancies")
        if not isinstance(vacancies, int) or vacancies < 0:
            raise ValidationFailed(_("Give the number of vacancies (0 or more)."), "vacancies")
    if mode == Mode.SHORTAGE and not values.get("shortage_degrees"):
        raise ValidationFailed(_("A shortage round needs its list of shortage degrees."), "shortage_degrees")
    unknown = set(values.get("accommodations_offered") or []) - set(Accommodation.ALL)
    if unknown:
        raise ValidationFailed(
            _("Unknown accommodation: %(name)s", name=", ".join(sorted(unknown))), "accommodations_offered"
        )


def _validate_stages(stages, mode: str | None = None) -> None:
    """Stage specs (or stored stages), checked before anything changes."""
    if not stages:
        raise ValidationFailed(_("A round needs at least one stage."), "stages")
    kinds = [s.kind for s in stages]
    if len(set(kinds)) != len(kinds):
        raise ValidationFailed(_("Each stage may appear only once."), "stages")
    for s in stages:
        if s.kind not in StageKind.ALL:
            raise ValidationFailed(_("Unknown stage %(kind)s.", kind=s.kind), "stages")
        if s.max_score is None or Decimal(s.max_score) <= 0:
            raise ValidationFailed(_("A stage's maximum score must be above zero."), "stages")
        if s.pass_percent is None or not (0 <= Decimal(s.pass_percent) <= 100):
            raise ValidationFailed(_("A pass mark is a percentage from 0 to 100."), "stages")
        if s.weight is None or Decimal(s.weight) < 0:
            raise ValidationFailed(_("A stage's weight cannot be negative."), "stages")
    if not any(s.counts_for_ranking for s in stages):
        raise ValidationFailed(_("At least one stage must count for the ranking."), "stages")
    if mode == Mode.SHORTAGE and StageKind.PART_A in kinds:
        raise ValidationFailed(_("A shortage-qualification round has no Part A."), "stages")


def apply_mode_rules(values: dict) -> None:
    """Fill in, in place, what a round's mode implies: an internal selection exam's service years,
    quota and vacancies from the eligible headcount; no quota for any other mode. Creating and
    editing a round call it, and so do the demo loader and the test factories."""
    mode = values["mode"]
    if mode == Mode.SELECTION_EXAM:
        if values.get("min_service_years") is None:
            values["min_service_years"] = DEFAULT_MIN_SERVICE_YEARS
        if values.get("quota_percent") is None and values.get("eligible_headcount") is not None:
            values["quota_percent"] = DEFAULT_INTERNAL_QUOTA_PERCENT
        if values.get("eligible_headcount") is not None:
            values["vacancies"] = quota_vacancies(values["eligible_headcount"], values["quota_percent"])
    else:
        # The internal quota means nothing outside an internal round (e.g. after a mode change).
        values["quota_percent"] = None
        values["eligible_headcount"] = None
    if mode == Mode.DISABILITY:
        values["requires_disability_registration"] = True
        if not values.get("accommodations_offered"):
            values["accommodations_offered"] = list(Accommodation.ALL)


def _check_code_free(code: str, round_id: int | None = None) -> None:
    other = db.session.scalar(select(Round).where(Round.code == code))
    if other is not None and other.id != round_id:
        raise ValidationFailed(_("Another round already uses the code %(code)s.", code=code), "code")


@dataclass(frozen=True)
class ChannelRound:
    """What HR enters to open a round in a channel (an MOU agreement, scholarship placement): the
    channel adds its own description, criteria, stages and link."""

    code: str
    position_id: int
    title_th: str
    opens_at: datetime
    closes_at: datetime
    vacancies: int
    title_en: str = ""


def create_channel_round(
    agency_id: int, actor, draft: ChannelRound, stages: list[StageSpec], **values
) -> Round:
    """A draft selection round of a channel, built from what HR entered plus the channel's own
    values (description, criteria)."""
    return create_round(agency_id, actor, {**asdict(draft), "mode": Mode.SELECTION, **values}, stages)


def create_round(agency_id: int, actor, values: dict, stages: list[StageSpec] | None = None) -> Round:
    values = {k: v for k, v in values.items() if k in ROUND_FIELDS}
    _validate(values, agency_id)
    values["code"] = values["code"].strip()
    values["opens_at"], values["closes_at"] = to_utc(values["opens_at"]), to_utc(values["closes_at"])
    _check_code_free(values["code"])
    apply_mode_rules(values)
    stages = stages if stages is not None else default_stages(values["mode"])
    _validate_stages(stages, values["mode"])
    round_ = Round(
        agency_id=agency_id, created_by_id=getattr(actor, "id", None), status=RoundStatus.DRAFT, **values
    )
    for seq, spec in enumerate(stages, start=1):
        round_.stages.append(RoundStage(seq=seq, **spec.__dict__))
    db.session.add(round_)
    db.session.flush()
    record("round.create", round_, actor=actor, after=snapshot(round_))
    db.session.commit()
    return round_


def edit_refusal(round_: Round) -> NotAllowed | None:
    """Why the round cannot be edited now, or None if it can."""
    if round_.status not in EDITABLE_STATES:
        return NotAllowed(
            _(
                "This round is %(status)s: criteria are frozen once open, so only a draft can be edited.",
                status=status_label(round_.status),
            )
        )
    return None


def update_round(round_: Round, actor, values: dict, stages: list[StageSpec] | None = None) -> Round:
    """Edit a round. Only a draft may change; criteria are frozen once it opens."""
    refusal = edit_refusal(round_)
    if refusal:
        raise refusal
    before = snapshot(round_)
    merged = {f: getattr(round_, f) for f in ROUND_FIELDS}
    merged.update({k: v for k, v in values.items() if k in ROUND_FIELDS})
    _validate(merged, round_.agency_id)
    merged["code"] = merged["code"].strip()
    merged["opens_at"], merged["closes_at"] = to_utc(merged["opens_at"]), to_utc(merged["closes_at"])
    _check_code_free(merged["code"], round_.id)
    apply_mode_rules(merged)
    _validate_stages(stages if stages is not None else round_.stages, merged["mode"])
    for k, v in merged.items():
        setattr(round_, k, v)
    if stages is not None:
        round_.stages.clear()
        db.session.flush()  # the old rows go before the new ones take their (round, kind) keys
        for seq, spec in enumerate(stages, start=1):
            round_.stages.append(RoundStage(seq=seq, **spec.__dict__))
    db.session.flush()
    record("round.update", round_, actor=actor, before=before, after=snapshot(round_))
    db.session.commit()
    return round_


def status_consequence(round_: Round, new_status: str) -> str | None:
    """What a move that cannot be undone does, said before HR confirms it; None for a move
    that can be (closing, reopening)."""
    if new_status == RoundStatus.OPEN and round_.status == RoundStatus.DRAFT:
        return _(
            "%(code)s opens for applications. Its criteria and stages are then frozen for good: "
            "only the closing date can still move.",
            code=round_.code,
        )
    if new_status == RoundStatus.IN_PROGRESS:
        return _(
            "Applications to %(code)s end for good and the selection begins: the round cannot "
            "reopen for applications.",
            code=round_.code,
        )
    if new_status == RoundStatus.COMPLETED:
        return _(
            "%(code)s is marked completed: its status cannot change any more.",
            code=round_.code,
        )
    return None


def change_status(round_: Round, actor, new_status: str, reason: str = "") -> Round:
    if new_status not in TRANSITIONS.get(round_.status, set()):
        raise NotAllowed(
            _(
                "A round that is %(old)s cannot become %(new)s.",
                old=status_label(round_.status),
                new=status_label(new_status),
            )
        )
    if new_status == RoundStatus.OPEN:
        if not round_.stages:
            raise NotAllowed(_("Add the round's stages before opening it."))
        if round_.closes_at <= now():
            raise NotAllowed(_("The application window has already ended; move its end date first."))
    old = round_.status
    round_.status = new_status
    record(
        "round.status",
        round_,
        actor=actor,
        before={"status": old},
        after={"status": new_status, "reason": reason},
    )
    db.session.commit()
    return round_


def extend_window(round_: Round, actor, closes_at: datetime, reason: str) -> Round:
    """Move the closing date (open or closed rounds); criteria stay frozen."""
    if round_.status not in (RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSED):
        raise NotAllowed(_("The window of a round in progress cannot change."))
    closes_at = to_utc(closes_at)
    if closes_at <= round_.opens_at:
        raise ValidationFailed(_("Applications must close after they open."), "closes_at")
    if round_.status == RoundStatus.OPEN and closes_at <= now():
        raise ValidationFailed(
            _("An open round must close in the future; to stop applications now, close the round."),
            "closes_at",
        )
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for changing the closing date."), "reason")
    before = {"closes_at": round_.closes_at}
    round_.closes_at = closes_at
    record(
        "round.window",
        round_,
        actor=actor,
        before=before,
        after={"closes_at": closes_at, "reason": reason.strip()},
    )
    db.session.commit()
    return round_


def announce_results_dates(round_: Round, actor, dates: dict[str, date | None], reason: str) -> Round:
    """Set the dates the round's stages announce their results by (ประกาศผลภายในวันที่), as
    the round's announcement says; any time before the round is completed (a date may move,
    with its reason, audited). `dates` maps a stage kind to its date or None (not announced)."""
    if round_.status == RoundStatus.COMPLETED:
        raise NotAllowed(_("The round is completed: its results are out."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for setting the results dates."), "reason")
    stages = {s.kind: s for s in round_.stages}
    unknown = [kind for kind in dates if kind not in stages]
    if unknown:
        raise ValidationFailed(_("The round has no such stage."), unknown[0])
    opens_on = round_.opens_at.astimezone(BANGKOK).date()
    for kind, day in dates.items():
        if day is not None and day < opens_on:
            raise ValidationFailed(_("Results cannot be announced before applications open."), kind)
    before = {kind: stages[kind].results_announced_on for kind in dates}
    for kind, day in dates.items():
        stages[kind].results_announced_on = day
    record(
        "round.results_dates",
        round_,
        actor=actor,
        before={k: v.isoformat() if v else None for k, v in before.items()},
        after={k: v.isoformat() if v else None for k, v in dates.items()} | {"reason": reason.strip()},
    )
    db.session.commit()
    return round_


def list_open_rounds(
    at: datetime | None = None, agency_id: int | None = None, mode: str | None = None
) -> list[Round]:
    at = at or now()
    stmt = select(Round).where(Round.status == RoundStatus.OPEN, Round.opens_at <= at, Round.closes_at > at)
    if agency_id:
        stmt = stmt.where(Round.agency_id == agency_id)
    if mode:
        stmt = stmt.where(Round.mode == mode)
    return list(db.session.scalars(stmt.order_by(Round.closes_at, Round.id)))


def open_round_agencies(at: datetime | None = None) -> list[Agency]:
    """Agencies with at least one round accepting applications (the browse filter)."""
    at = at or now()
    accepting = select(Round.agency_id).where(
        Round.status == RoundStatus.OPEN, Round.opens_at <= at, Round.closes_at > at
    )
    return list(db.session.scalars(select(Agency).where(Agency.id.in_(accepting)).order_by(Agency.code)))


def rounds_of_agency(agency_id: int) -> list[Round]:
    return list(
        db.session.scalars(
            select(Round)
            .where(Round.agency_id == agency_id)
            .order_by(Round.created_at.desc(), Round.id.desc())
        )
    )


def application_counts(round_ids: list[int]) -> dict[int, dict[str, int]]:
    """{round id: {application status: how many}}, for HR's overview."""
    counts: dict[int, dict[str, int]] = {rid: {} for rid in round_ids}
    if not round_ids:
        return counts
    for _receiver, answer in round_application_counts.send(round_ids=list(round_ids)):
        for round_id, by_status in (answer or {}).items():
            counts.setdefault(round_id, {}).update(by_status)
    return counts


def active_application(round_: Round, user):
    """The user's application to `round_` that is still in the running, or None (the round page
    says "you have already applied" instead of offering to apply)."""
    for _receiver, application in candidate_application.send(round_, user=user):
        if application is not None:
            return application
    return None


def get_round(round_id: int) -> Round:
    return get_or_not_found(Round, round_id, _("No such recruitment round."))


def round_for_hr(round_id: int, user) -> Round:
    """The round, if `user` is HR of its agency."""
    round_ = get_round(round_id)
    need_hr_of_round(user, round_)
    return round_


def public_round(round_id: int) -> Round:
    """Drafts are visible to nobody but their agency's HR."""
    round_ = get_round(round_id)
    if round_.status == RoundStatus.DRAFT:
        raise NotFound(_("No such recruitment round."))
    return round_


def visible_round(round_id: int, user) -> Round:
    """The public announcement, or the preview of a draft for the HR of its agency."""
    round_ = get_round(round_id)
    if round_.status == RoundStatus.DRAFT and not is_hr_of(user, round_.agency_id):
        raise NotFound(_("No such recruitment round."))
    return round_


MODE_LABELS = {
    Mode.COMPETITIVE_EXAM: lambda: _("Competitive exam (สอบแข่งขัน)"),
    Mode.SELECTION_EXAM: lambda: _("Internal selection exam (สอบคัดเลือก)"),
    Mode.SELECTION: lambda: _("Selection (คัดเลือก)"),
    Mode.SHORTAGE: lambda: _("Shortage-qualification selection"),
    Mode.DISABILITY: lambda: _("Selection of persons with disabilities"),
}
STATUS_LABELS = {
    RoundStatus.DRAFT: lambda: _("draft"),
    RoundStatus.OPEN: lambda: _("open"),
    RoundStatus.CLOSED: lambda: _("closed"),
    RoundStatus.IN_PROGRESS: lambda: _("in progress"),
    RoundStatus.COMPLETED: lambda: _("completed"),
}
STAGE_LABELS = {
    StageKind.PART_A: lambda: _("Part A (general knowledge)"),
    StageKind.PART_B: lambda: _("Part B (knowledge for the position)"),
    StageKind.PART_C: lambda: _("Part C (suitability: interview)"),
    StageKind.QUALIFICATIONS: lambda: _("Qualifications review"),
}
ACCOMMODATION_LABELS = {
    Accommodation.EXTRA_TIME: lambda: _("Extra time"),
    Accommodation.LARGE_TEXT: lambda: _("Large text"),
    Accommodation.HIGH_CONTRAST: lambda: _("High contrast"),
    Accommodation.SCREEN_READER: lambda: _("Screen reader"),
    Accommodation.ASSISTANT: lambda: _("An assistant"),
}


mode_label = labeller(MODE_LABELS)
status_label = labeller(STATUS_LABELS)
stage_label = labeller(STAGE_LABELS)
accommodation_label = labeller(ACCOMMODATION_LABELS)


# ---- tracks -------------------------------------------------------------------------------
# A round fills one track, from its mode: the disability track, the shortage-qualification
# track, or the general one for every other mode (merit lists are per track; HR filters by it).
TRACK_GENERAL, TRACK_DISABILITY, TRACK_SHORTAGE = "general", "disability", "shortage"
TRACK_MODES = {
    TRACK_GENERAL: (Mode.COMPETITIVE_EXAM, Mode.SELECTION_EXAM, Mode.SELECTION),
    TRACK_DISABILITY: (Mode.DISABILITY,),
    TRACK_SHORTAGE: (Mode.SHORTAGE,),
}
TRACK_LABELS = {
    TRACK_GENERAL: lambda: _("general"),
    TRACK_DISABILITY: lambda: _("persons with disabilities"),
    TRACK_SHORTAGE: lambda: _("shortage qualifications"),
}
track_label = labeller(TRACK_LABELS)


def track_of_mode(mode: str) -> str:
    return next((track for track, modes in TRACK_MODES.items() if mode in modes), TRACK_GENERAL)


def position_level(level: str | None) -> str:
    """A position's level in the reader's language: levels are written "Thai / English"
    ("ปฏิบัติการ / Operational"), so each reader gets their half (the whole when it has one)."""
    thai, sep, english = (level or "").partition(" / ")
    if not sep:
        return level or ""
    return english.strip() if current_locale() == "en" and english.strip() else thai.strip()
