"""HR builds the interview schedule: generates a panel's slots, and places the round's
candidates who passed the earlier stages into them automatically, queueing their invitations
(invitations.py) in the same transaction.

The placement rules live in `place_candidates`, a pure function over plain data, so that they
can be property-tested; `auto_schedule` feeds it from the database and stores what it decides.

Accommodations: a candidate with approved extra time needs a LONGER slot (HR generates some,
e.g. 45 instead of 30 minutes): at least the round's standard slot length (the most common one)
plus `accommodation_extra_minutes`. A candidate with an approved screen reader or assistant
needs a slot marked accessible. (We chose longer slots over joining two consecutive slots: a
booking is one slot in the schema, and HR sees exactly which slots are kept for whom.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..applications.models import AccommodationStatus, Application, ApplicationStatus
from ..audit.services import record
from ..common.clock import now, to_utc
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from ..recruitment.models import Accommodation, Round, StageKind
from ..scores.models import StageScore
from . import services
from .invitations import send_invitations
from .models import Interview, InterviewSlot, Panel, PanelMember, Substitute, Unavailability
from .schedule import SlotTaken, configured_extra_minutes, min_notice, slots_of_panel

MAX_SLOTS_PER_BATCH = 1000
MAX_RANGE_DAYS = 92
ACCESSIBLE_KINDS = (Accommodation.SCREEN_READER, Accommodation.ASSISTANT)
EFFECTIVE = (AccommodationStatus.APPROVED, AccommodationStatus.ADJUSTED)


# ---- the pure core ------------------------------------------------------------------------

NO_FREE_SLOT = "no_free_slot"
NO_ACCESSIBLE_SLOT = "no_accessible_slot"
NO_LONG_SLOT = "no_long_slot"
UNAVAILABLE = "unavailable"
MEMBER_BUSY = "member_busy"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class SlotSpec:
    id: Hashable
    panel_id: Hashable
    starts_at: datetime
    ends_at: datetime
    member_ids: frozenset = frozenset()
    accessible: bool = False

    @property
    def minutes(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 60


@dataclass(frozen=True)
class CandidateSpec:
    key: Hashable  # the application number
    min_minutes: float = 0  # extra time: the slot must be at least this long
    needs_accessible: bool = False
    unavailable: tuple = ()  # ((starts_at, ends_at), ...)

    @property
    def accommodated(self) -> bool:
        return self.min_minutes > 0 or self.needs_accessible

    def fits(self, slot: SlotSpec) -> bool:
        return slot.minutes >= self.min_minutes and (slot.accessible or not self.needs_accessible)


@dataclass
class Placement:
    placed: list = field(default_factory=list)  # [(key, slot id)]
    unplaced: list = field(default_factory=list)  # [(key, reason code)]


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def place_candidates(
    candidates: Sequence[CandidateSpec], slots: Iterable[SlotSpec], member_busy: dict | None = None
) -> Placement:
    """Place each candidate, in the given order, into the earliest free slot that fits.

    A slot fits when it meets the candidate's accommodations, falls outside every time they
    declared unavailable, and none of its panel's members (nor the panel itself) is already in
    an overlapping slot: `member_busy` maps a member to the intervals they are booked elsewhere,
    and every placement adds its slot to its members' intervals. One candidate per slot.
    Candidates without accommodations take, where they can, slots that no later accommodated
    candidate could use, so that the long and accessible slots stay for those who need them.
    """
    free = sorted(slots, key=lambda s: (s.starts_at, s.ends_at, str(s.panel_id), str(s.id)))
    busy = {m: list(v) for m, v in (member_busy or {}).items()}
    panel_busy: dict = {}
    result = Placement()
    seen = set()
    candidates = list(candidates)
    for index, c in enumerate(candidates):
        if c.key in seen:
            result.unplaced.append((c.key, DUPLICATE))
            continue
        seen.add(c.key)
        by_needs = [s for s in free if c.fits(s)]
        by_time = [
            s for s in by_needs if not any(overlaps(s.starts_at, s.ends_at, a, b) for a, b in c.unavailable)
        ]
        fitting = [s for s in by_time if not _clashes(s, busy, panel_busy)]
        if not fitting:
            result.unplaced.append((c.key, _reason(c, free, by_needs, by_time)))
            continue
        if not c.accommodated:
            needs = {
                (p.min_minutes, p.needs_accessible)
                for p in candidates[index + 1 :]
                if p.accommodated and p.key not in seen
            }
            spare = [
                s
                for s in fitting
                if not any(s.minutes >= mm and (s.accessible or not acc) for mm, acc in needs)
            ]
            fitting = spare or fitting
        slot = fitting[0]
        free.remove(slot)
        for m in slot.member_ids:
            busy.setdefault(m, []).append((slot.starts_at, slot.ends_at))
        panel_busy.setdefault(slot.panel_id, []).append((slot.starts_at, slot.ends_at))
        result.placed.append((c.key, slot.id))
    return result


def _clashes(slot: SlotSpec, busy: dict, panel_busy: dict) -> bool:
    for a, b in panel_busy.get(slot.panel_id, ()):
        if overlaps(slot.starts_at, slot.ends_at, a, b):
            return True
    return any(
        overlaps(slot.starts_at, slot.ends_at, a, b) for m in slot.member_ids for a, b in busy.get(m, ())
    )


def _reason(c: CandidateSpec, free, by_needs, by_time) -> str:
    if not free:
        return NO_FREE_SLOT
    if not by_needs:
        if c.needs_accessible and not any(s.accessible for s in free):
            return NO_ACCESSIBLE_SLOT
        return NO_LONG_SLOT
    if not by_time:
        return UNAVAILABLE
    return MEMBER_BUSY


def slot_times(
    start_date: date,
    end_date: date,
    day_start: time,
    day_end: time,
    breaks: Sequence[tuple[time, time]],
    slot_minutes: int,
    weekdays: Iterable[int],
) -> list[tuple[datetime, datetime]]:
    """Local (naive) start and end of every slot: from day_start, one after another, jumping
    past any break a slot would overlap, the last one ending by day_end."""
    length = timedelta(minutes=slot_minutes)
    days = set(weekdays)
    out = []
    day = start_date
    while day <= end_date:
        if day.weekday() in days:
            t, end = datetime.combine(day, day_start), datetime.combine(day, day_end)
            pauses = sorted((datetime.combine(day, a), datetime.combine(day, b)) for a, b in breaks)
            while t + length <= end:
                clash = next(((a, b) for a, b in pauses if overlaps(t, t + length, a, b)), None)
                if clash:
                    t = clash[1]
                    continue
                out.append((t, t + length))
                t += length
        day += timedelta(days=1)
    return out


# ---- what the candidates need, what the members have ------------------------------------


def accommodation_kinds(application: Application) -> list[str]:
    return [r.kind for r in application.accommodations if r.status in EFFECTIVE]


def standard_minutes(round_: Round) -> int:
    """The round's standard slot length: the most common one (the shorter on a tie)."""
    lengths = Counter(
        int((s.ends_at - s.starts_at).total_seconds() // 60)
        for p in services.panels_of_round(round_)
        for s in slots_of_panel(p)
    )
    if not lengths:
        return 0
    top = max(lengths.values())
    return min(n for n, count in lengths.items() if count == top)


def candidate_spec(application: Application, standard: int, extra_minutes: int) -> CandidateSpec:
    kinds = accommodation_kinds(application)
    unavailable = tuple(
        (u.starts_at, u.ends_at)
        for u in db.session.scalars(
            select(Unavailability).where(Unavailability.application_id == application.id)
        )
    )
    return CandidateSpec(
        key=application.number,
        min_minutes=standard + extra_minutes if Accommodation.EXTRA_TIME in kinds else 0,
        needs_accessible=any(k in ACCESSIBLE_KINDS for k in kinds),
        unavailable=unavailable,
    )


def slot_spec(slot: InterviewSlot, member_ids: frozenset) -> SlotSpec:
    return SlotSpec(
        id=slot.id,
        panel_id=slot.panel_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        member_ids=member_ids,
        accessible=slot.accessible,
    )


def member_busy_intervals(user_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """Every booked (not cancelled) slot each user sits in, as a member or a substitute."""
    ids = set(user_ids)
    busy: dict[int, list[tuple]] = {uid: [] for uid in ids}
    if not ids:
        return busy
    booked = (
        Interview.slot_id == InterviewSlot.id,
        InterviewSlot.cancelled.is_(False),
        Interview.status != "cancelled",
    )
    rows = db.session.execute(
        select(PanelMember.user_id, InterviewSlot.starts_at, InterviewSlot.ends_at)
        .join(InterviewSlot, InterviewSlot.panel_id == PanelMember.panel_id)
        .join(Interview, Interview.slot_id == InterviewSlot.id)
        .where(PanelMember.user_id.in_(ids), *booked[1:])
    ).all()
    rows += db.session.execute(
        select(Substitute.user_id, InterviewSlot.starts_at, InterviewSlot.ends_at)
        .join(Interview, Interview.id == Substitute.interview_id)
        .join(InterviewSlot, Interview.slot_id == InterviewSlot.id)
        .where(Substitute.user_id.in_(ids), *booked[1:])
    ).all()
    for uid, a, b in rows:
        busy[uid].append((a, b))
    return busy


# ---- HR: slots --------------------------------------------------------------------------


@dataclass
class SlotBatch:
    created: list[InterviewSlot]
    skipped_overlap: int = 0
    skipped_past: int = 0


def generate_slots(
    panel: Panel,
    actor,
    start_date: date,
    end_date: date,
    day_start: time,
    day_end: time,
    breaks: Sequence[tuple[time, time]] = (),
    slot_minutes: int = 30,
    weekdays: Iterable[int] = (0, 1, 2, 3, 4),
    mode: str | None = None,
    meeting_link: str = "",
    room: str = "",
    accessible: bool = False,
) -> SlotBatch:
    """Slots of `slot_minutes` for the panel, every chosen weekday of the date range, between
    day_start and day_end (Bangkok time) outside the breaks; stored in UTC. Slots that would
    overlap the panel's existing slots, or start in the past, are skipped."""
    services.need_hr(actor, panel.round)
    mode = mode or panel.mode
    if mode not in (services.ONLINE, services.ONSITE):
        raise ValidationFailed(_("Choose online or on site."), "mode")
    if start_date is None or end_date is None:
        raise ValidationFailed(_("Give the first and last day."), "start_date")
    if end_date < start_date:
        raise ValidationFailed(_("The last day cannot be before the first."), "end_date")
    if (end_date - start_date).days > MAX_RANGE_DAYS:
        raise ValidationFailed(_("Generate at most %(n)s days at a time.", n=MAX_RANGE_DAYS), "end_date")
    if day_start is None or day_end is None or day_end <= day_start:
        raise ValidationFailed(_("The day must end after it starts."), "day_end")
    try:
        slot_minutes = int(slot_minutes)
    except (TypeError, ValueError):
        slot_minutes = 0
    if not 5 <= slot_minutes <= 480:
        raise ValidationFailed(_("A slot lasts from 5 to 480 minutes."), "slot_minutes")
    weekdays = sorted(set(weekdays or ()))
    if not weekdays or any(d not in range(7) for d in weekdays):
        raise ValidationFailed(_("Choose at least one weekday."), "weekdays")
    for a, b in breaks:
        if b <= a:
            raise ValidationFailed(_("A break must end after it starts."), "breaks")
    meeting_link, room = (meeting_link or "").strip(), (room or "").strip()
    if meeting_link and not services.LINK_RE.match(meeting_link):
        raise ValidationFailed(_("The meeting link must start with https:// or http://."), "meeting_link")
    # (With a media server, an online slot's room is on the platform: video.py; a link is optional.)
    if mode == services.ONLINE and not (
        meeting_link or panel.meeting_link or current_app.config["JANUS_URL"]
    ):
        raise ValidationFailed(
            _("An online slot needs a meeting link (here or on the panel)."), "meeting_link"
        )
    if mode == services.ONSITE and not (room or panel.room):
        raise ValidationFailed(_("An on-site slot needs a room (here or on the panel)."), "room")
    times = slot_times(start_date, end_date, day_start, day_end, breaks, slot_minutes, weekdays)
    if len(times) > MAX_SLOTS_PER_BATCH:
        raise ValidationFailed(
            _(
                "That makes %(n)s slots; generate at most %(max)s at a time.",
                n=len(times),
                max=MAX_SLOTS_PER_BATCH,
            ),
            "end_date",
        )
    existing = [(s.starts_at, s.ends_at) for s in slots_of_panel(panel)]
    batch = SlotBatch(created=[])
    at = now()
    for local_start, local_end in times:
        starts, ends = to_utc(local_start), to_utc(local_end)
        if starts <= at:
            batch.skipped_past += 1
            continue
        if any(overlaps(starts, ends, a, b) for a, b in existing):
            batch.skipped_overlap += 1
            continue
        slot = InterviewSlot(
            panel_id=panel.id,
            starts_at=starts,
            ends_at=ends,
            mode=mode,
            meeting_link=meeting_link if mode == services.ONLINE else "",
            room=room if mode == services.ONSITE else "",
            accessible=bool(accessible),
        )
        db.session.add(slot)
        batch.created.append(slot)
        existing.append((starts, ends))
    if not batch.created:
        raise ValidationFailed(
            _(
                "No new slot fits: the times are past, overlap the panel's "
                "slots or leave no room between the breaks."
            ),
            "start_date",
        )
    db.session.flush()
    record(
        "interview.slots_generate",
        panel,
        actor=actor,
        after={
            "start_date": start_date,
            "end_date": end_date,
            "day_start": day_start.isoformat(),
            "day_end": day_end.isoformat(),
            "breaks": [[a.isoformat(), b.isoformat()] for a, b in breaks],
            "slot_minutes": slot_minutes,
            "weekdays": weekdays,
            "mode": mode,
            "meeting_link": meeting_link,
            "room": room,
            "accessible": bool(accessible),
            "created": len(batch.created),
            "skipped_overlap": batch.skipped_overlap,
            "skipped_past": batch.skipped_past,
        },
    )
    db.session.commit()
    return batch


def cancel_slot(slot: InterviewSlot, actor) -> InterviewSlot:
    """HR withdraws a free slot."""
    services.need_hr(actor, slot.panel.round)
    if slot.interview is not None:
        raise NotAllowed(_("A candidate holds this slot; it cannot be cancelled."))
    if slot.cancelled:
        return slot
    slot.cancelled = True
    record(
        "interview.slot_cancel",
        slot,
        actor=actor,
        after={"panel": slot.panel_id, "starts_at": slot.starts_at},
    )
    db.session.commit()
    return slot


# ---- HR: automatic scheduling ------------------------------------------------------------


@dataclass
class ScheduleReport:
    placed: list = field(default_factory=list)  # [(application number, InterviewSlot)]
    unplaced: list = field(default_factory=list)  # [(application number, reason in words)]
    not_passed: list = field(default_factory=list)  # application numbers
    already: list = field(default_factory=list)  # application numbers
    # No slot before this was used: the minimum notice (schedule.min_notice).
    earliest: datetime | None = None


def _number_order(number: str):
    return (len(number), number)


def passed_earlier_stages(round_: Round, applications: list[Application]) -> list[Application]:
    """The approved applications with a passing score in every stage before Part C."""
    part_c = round_.stage(StageKind.PART_C)
    earlier = [s.kind for s in round_.stages if part_c is None or s.seq < part_c.seq]
    if not earlier or not applications:
        return list(applications)
    passed = set(
        db.session.execute(
            select(StageScore.application_id, StageScore.stage_kind).where(
                StageScore.application_id.in_([a.id for a in applications]),
                StageScore.stage_kind.in_(earlier),
                StageScore.passed.is_(True),
            )
        ).all()
    )
    return [a for a in applications if all((a.id, k) in passed for k in earlier)]


def reason_text(code: str, spec: CandidateSpec | None = None) -> str:
    if code == NO_FREE_SLOT:
        return _("No free slot is left.")
    if code == NO_ACCESSIBLE_SLOT:
        return _(
            "The candidate needs an accessible slot (approved screen reader or assistant) and none is free."
        )
    if code == NO_LONG_SLOT:
        return _(
            "The candidate has approved extra time and needs a slot of at least "
            "%(n)s minutes; none that fits is free.",
            n=int(spec.min_minutes) if spec else 0,
        )
    if code == UNAVAILABLE:
        return _("Every free slot that fits falls in a time the candidate declared unavailable.")
    if code == MEMBER_BUSY:
        return _("In every free slot that fits, a panel member sits on another panel.")
    return _("The application appears twice.")


def auto_schedule(round_: Round, actor, accommodation_extra_minutes: int | None = None) -> ScheduleReport:
    """Place every candidate who passed the earlier stages, in application-number order, into
    the free future slots of the round's panels; one transaction, invitations queued with it."""
    services.need_hr(actor, round_)
    services.part_c_stage(round_)
    extra = (
        accommodation_extra_minutes if accommodation_extra_minutes is not None else configured_extra_minutes()
    )
    if not 0 <= int(extra) <= 240:
        raise ValidationFailed(_("Extra minutes are from 0 to 240."), "accommodation_extra_minutes")
    panels = services.panels_of_round(round_)
    if not panels:
        raise NotAllowed(_("Set up a panel with its slots first."))
    for panel in panels:
        problems = services.panel_problems(panel)
        if problems:
            raise NotAllowed(
                _("Panel %(name)s is not ready: %(problems)s", name=panel.name, problems=" ".join(problems))
            )
    approved = sorted(
        db.session.scalars(
            select(Application).where(
                Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED
            )
        ),
        key=lambda a: _number_order(a.number),
    )
    report = ScheduleReport()
    eligible = passed_earlier_stages(round_, approved)
    eligible_ids = {a.id for a in eligible}
    report.not_passed = [a.number for a in approved if a.id not in eligible_ids]
    booked = set(
        db.session.scalars(
            select(Interview.application_id).where(Interview.application_id.in_(eligible_ids or [0]))
        )
    )
    report.already = [a.number for a in eligible if a.id in booked]
    to_place = [a for a in eligible if a.id not in booked]
    standard = standard_minutes(round_)
    specs = [candidate_spec(a, standard, int(extra)) for a in to_place]
    # The candidate is told in time and keeps the right to move: no slot sooner than the notice.
    earliest = now() + min_notice()
    report.earliest = earliest
    members = {p.id: frozenset(m.user_id for m in p.members) for p in panels}
    slots = {
        s.id: s for p in panels for s in slots_of_panel(p) if s.interview is None and s.starts_at >= earliest
    }
    slot_specs = [slot_spec(s, members[s.panel_id]) for s in slots.values()]
    busy = member_busy_intervals(set().union(*members.values()))
    placement = place_candidates(specs, slot_specs, busy)
    by_number = {a.number: a for a in to_place}
    spec_of = {s.key: s for s in specs}
    try:
        for number, slot_id in placement.placed:
            interview = Interview(
                application_id=by_number[number].id, slot_id=slot_id, status="scheduled", moves=0
            )
            db.session.add(interview)
            db.session.flush()
            record(
                "interview.schedule",
                interview,
                actor=actor,
                after={
                    "application": number,
                    "slot": slot_id,
                    "panel": slots[slot_id].panel_id,
                    "starts_at": slots[slot_id].starts_at,
                    "how": "auto",
                },
            )
            send_invitations(interview)
            report.placed.append((number, slots[slot_id]))
        report.unplaced = [
            (number, reason_text(code, spec_of.get(number))) for number, code in placement.unplaced
        ]
        record(
            "interview.auto_schedule",
            round_,
            actor=actor,
            after={
                "placed": len(report.placed),
                "unplaced": [[n, c] for n, c in placement.unplaced],
                "not_passed": len(report.not_passed),
                "already": len(report.already),
                "extra_minutes": int(extra),
                "standard_minutes": standard,
                "earliest": earliest,
            },
        )
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise SlotTaken(_("A slot was taken while the schedule was being made; run it again.")) from err
    return report
