"""HR's side of the online test: scheduling sittings and seating candidates in rooms.

The sitting itself is created by sitting_control.create_sitting; this module adds who may do it (HR of
the agency) and seats a round's approved applicants with the accommodations HR approved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from blinker import signal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Role, User
from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common import national_id as nid
from ..common.access import is_hr_of, need_hr_of_sitting
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from ..common.i18n import labeller
from ..common.integrity import flush_or_refuse
from ..common.lookup import get_or_not_found
from ..extensions import db
from ..payments.services import unpaid_application_ids
from ..recruitment.models import Accommodation, Round
from ..recruitment.services import accommodation_label
from . import sitting_control, timing
from .assembly import assemble_form
from .certificates import valid_part_a_certificate
from .models import Exam, Seat, Sitting, SittingProctor

# Asked (sender = the sitting) before HR seats a round's applicants: a receiver returns why not,
# or None. Seat booking answers it for rounds whose candidates book their own seats.
seating_refusal = signal("exam-seating-refusal")

DEFAULT_SEATS_PER_ROOM = 40
MAX_SEATS_PER_ROOM = 500
MAX_EXTRA_TIME_PERCENT = 200  # the seats table's own limit


# ---- who may ----------------------------------------------------------------------------


def get_sitting(sitting_id: int) -> Sitting:
    return get_or_not_found(Sitting, sitting_id, _("No such exam sitting."))


def sitting_for_hr(sitting_id: int, user) -> Sitting:
    sitting = get_sitting(sitting_id)
    need_hr_of_sitting(user, sitting)
    return sitting


def sittings_of_agency(agency_id: int) -> list[Sitting]:
    return list(
        db.session.scalars(
            select(Sitting)
            .where(Sitting.agency_id == agency_id)
            .order_by(Sitting.starts_at.desc(), Sitting.id.desc())
        )
    )


def exams_for_scheduling() -> list[Exam]:
    return list(db.session.scalars(select(Exam).order_by(Exam.code)))


def rounds_for_scheduling(agency_id: int) -> list[Round]:
    return list(
        db.session.scalars(
            select(Round)
            .where(Round.agency_id == agency_id)
            .order_by(Round.created_at.desc(), Round.id.desc())
        )
    )


def seats_of(sitting: Sitting) -> list[Seat]:
    """The sitting's seats by room and seat number (numbers in numeric order)."""
    seats = list(db.session.scalars(select(Seat).where(Seat.sitting_id == sitting.id)))
    return sorted(seats, key=lambda s: (s.room, s.seat_number.zfill(6), s.id))


# A candidate's live state on the proctor's dashboard (proctoring.candidate_state).
LIVE_STATES = ("not_checked_in", "checked_in", "in_progress", "disconnected", "submitted")
STATE_LABELS = {
    "not_checked_in": lambda: _("Not checked in"),
    "checked_in": lambda: _("Checked in, waiting"),
    "in_progress": lambda: _("Taking the test"),
    "disconnected": lambda: _("Disconnected"),
    "submitted": lambda: _("Test submitted"),
    "absent": lambda: _("Absent"),
    "not_submitted": lambda: _("Test not yet submitted"),
}


SITTING_STATUS_LABELS = {
    "scheduled": lambda: _("Scheduled"),
    "started": lambda: _("Started"),
    "paused": lambda: _("Paused"),
    "ended": lambda: _("Ended"),
    # shown only (timing.shown_status): a window sitting whose window is open, or has closed
    "in_progress": lambda: _("In progress"),
    "window_closed": lambda: _("Window closed"),
}
TIMING_LABELS = {
    timing.SYNCHRONIZED: lambda: _("Synchronized"),
    timing.WINDOW: lambda: _("Window"),
}


sitting_status_label = labeller(SITTING_STATUS_LABELS)


def sitting_status_now(sitting: Sitting) -> str:
    return timing.shown_status(sitting, now())


timing_label = labeller(TIMING_LABELS)
state_label = labeller(STATE_LABELS)


def accommodation_names(seat: Seat) -> list[str]:
    """The seat's accommodations in words, with those the room must provide."""
    names = []
    if seat.extra_time_percent:
        names.append(_("Extra time +%(n)s%%", n=seat.extra_time_percent))
    if seat.large_text:
        names.append(accommodation_label(Accommodation.LARGE_TEXT))
    if seat.high_contrast:
        names.append(accommodation_label(Accommodation.HIGH_CONTRAST))
    names.extend(accommodation_label(k) for k in other_accommodations(seat.application))
    return names


# ---- scheduling -------------------------------------------------------------------------


def schedule_sitting(
    actor,
    round_: Round | None,
    exam: Exam,
    *,
    title_th: str,
    starts_at: datetime,
    timing_mode: str = timing.SYNCHRONIZED,
    title_en: str = "",
    window_ends_at: datetime | None = None,
    late_entry_minutes: int = 30,
    checkin_opens_minutes: int = 60,
) -> Sitting:
    """A new sitting of `exam` for HR's own agency, optionally for one of its rounds."""
    if not is_hr_of(actor, getattr(actor, "agency_id", None)):
        raise Forbidden(_("Only HR of an agency can schedule exam sittings."))
    if round_ is not None and round_.agency_id != actor.agency_id:
        raise Forbidden(_("This round belongs to another agency."))
    if exam is None:
        raise ValidationFailed(_("Choose the exam."), "exam_id")
    try:  # a bank too small for the blueprint would only show at the candidates' check-in
        assemble_form(exam, 0)
    except ValidationFailed as err:
        raise ValidationFailed(err.message, "exam_id") from None
    if not (title_th or "").strip():
        raise ValidationFailed(_("Give the sitting a Thai title."), "title_th")
    if starts_at is None:
        raise ValidationFailed(_("Give the start date and time."), "starts_at")
    if starts_at <= now():
        raise ValidationFailed(_("The start must be in the future."), "starts_at")
    if late_entry_minutes is None or not 0 <= late_entry_minutes <= 240:
        raise ValidationFailed(_("Late entry is from 0 to 240 minutes."), "late_entry_minutes")
    if checkin_opens_minutes is None or not 0 <= checkin_opens_minutes <= 24 * 60:
        raise ValidationFailed(
            _("Check-in opens from 0 to 1,440 minutes before the start."), "checkin_opens_minutes"
        )
    return sitting_control.create_sitting(
        actor,
        exam=exam,
        agency_id=actor.agency_id,
        round_id=round_.id if round_ else None,
        title_th=title_th.strip(),
        title_en=(title_en or "").strip(),
        starts_at=starts_at,
        timing_mode=timing_mode,
        window_ends_at=window_ends_at if timing_mode == timing.WINDOW else None,
        late_entry_minutes=late_entry_minutes,
        checkin_opens_minutes=checkin_opens_minutes,
    )


# ---- seating ----------------------------------------------------------------------------


@dataclass
class SeatingResult:
    seated: int = 0
    already_seated: int = 0
    # Holders of a valid Part A certificate need not sit a Part A exam again.
    exempt: int = 0
    # Applications of a round with a fee that is not paid yet (not seated).
    unpaid: int = 0
    rooms: dict[str, int] = field(default_factory=dict)  # room -> seats added
    extra_time: int = 0
    large_text: int = 0
    high_contrast: int = 0


def approved_accommodations(application: Application) -> dict:
    """What the seat gets from HR's decisions: extra time (%), large text, high contrast."""
    out = {"extra_time_percent": 0, "large_text": False, "high_contrast": False}
    for req in application.accommodations:
        if not req.effective:
            continue
        if req.kind == Accommodation.EXTRA_TIME:
            value = req.approved_value if req.approved_value is not None else req.requested_value
            out["extra_time_percent"] = max(0, min(MAX_EXTRA_TIME_PERCENT, int(value or 0)))
        elif req.kind == Accommodation.LARGE_TEXT:
            out["large_text"] = True
        elif req.kind == Accommodation.HIGH_CONTRAST:
            out["high_contrast"] = True
    return out


def other_accommodations(application: Application | None) -> list[str]:
    """Approved accommodations the seat cannot hold (screen reader, assistant): for the room."""
    if application is None:
        return []
    return [
        r.kind
        for r in application.accommodations
        if r.effective and r.kind in (Accommodation.SCREEN_READER, Accommodation.ASSISTANT)
    ]


def _free_places(taken: set[tuple[str, str]], prefix: str, per_room: int):
    """Room "<prefix>1" seats 1..N, then "<prefix>2"…, skipping places already given."""
    room_no = 1
    while True:
        room = f"{prefix}{room_no}"
        for seat_no in range(1, per_room + 1):
            if (room, str(seat_no)) not in taken:
                yield room, str(seat_no)
        room_no += 1


def seat_round_candidates(
    sitting: Sitting, actor, room_prefix: str = "", seats_per_room: int = DEFAULT_SEATS_PER_ROOM
) -> SeatingResult:
    """Seat every approved applicant of the sitting's round not yet seated, in number order.

    Safe to run again (after more approvals): nobody is seated twice and places already given
    are kept. One audit entry for the whole run.
    """
    need_hr_of_sitting(actor, sitting)
    if sitting.round_id is None:
        raise NotAllowed(_("This sitting is not linked to a recruitment round."))
    if sitting.status == "ended":
        raise NotAllowed(_("This sitting has ended."))
    refusal = next((r for _fn, r in seating_refusal.send(sitting) if r), None)
    if refusal:
        raise NotAllowed(refusal)
    room_prefix = (room_prefix or "").strip()
    if len(room_prefix) > 30:
        raise ValidationFailed(_("The room prefix is at most 30 characters."), "room_prefix")
    if not isinstance(seats_per_room, int) or not 1 <= seats_per_room <= MAX_SEATS_PER_ROOM:
        raise ValidationFailed(
            _("Seats per room is from 1 to %(max)s.", max=MAX_SEATS_PER_ROOM), "seats_per_room"
        )
    seats = list(db.session.scalars(select(Seat).where(Seat.sitting_id == sitting.id)))
    seated_ids = {s.candidate_id for s in seats}
    taken = {(s.room, s.seat_number) for s in seats}
    applications = list(
        db.session.scalars(
            select(Application)
            .where(Application.round_id == sitting.round_id, Application.status == ApplicationStatus.APPROVED)
            .order_by(Application.number)
        )
    )
    result = SeatingResult()
    places = _free_places(taken, room_prefix, seats_per_room)
    unpaid = unpaid_application_ids(sitting.round_id)  # an application counts only once paid
    for app_ in applications:
        if app_.id in unpaid:
            result.unpaid += 1
            continue
        if app_.candidate_id in seated_ids:
            result.already_seated += 1
            continue
        if sitting.exam.is_part_a and valid_part_a_certificate(app_.candidate, sitting.starts_at):
            result.exempt += 1
            continue
        room, seat_number = next(places)
        acc = approved_accommodations(app_)
        db.session.add(
            Seat(
                sitting_id=sitting.id,
                candidate_id=app_.candidate_id,
                application_id=app_.id,
                room=room,
                seat_number=seat_number,
                **acc,
            )
        )
        result.seated += 1
        result.rooms[room] = result.rooms.get(room, 0) + 1
        result.extra_time += acc["extra_time_percent"] > 0
        result.large_text += acc["large_text"]
        result.high_contrast += acc["high_contrast"]
    if result.seated:
        try:
            db.session.flush()
        except IntegrityError:  # another HR officer seated the same people at the same moment
            db.session.rollback()
            raise NotAllowed(_("Someone else is seating this sitting now; try again.")) from None
        record(
            "sitting.seat",
            sitting,
            actor=actor,
            after={
                "round": sitting.round_id,
                "seated": result.seated,
                "already_seated": result.already_seated,
                "exempt": result.exempt,
                "unpaid": result.unpaid,
                "rooms": result.rooms,
                "seats_per_room": seats_per_room,
                "extra_time": result.extra_time,
                "large_text": result.large_text,
                "high_contrast": result.high_contrast,
            },
        )
    db.session.commit()
    return result


# Applications that make someone an applicant of the agency, whom its HR may seat: still in
# the running (a rejected or withdrawn application does not).
SEATABLE_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED)


def find_applicant(sitting: Sitting, national_id: str) -> tuple[User, Application]:
    """The candidate with `national_id` and their latest live application to one of the
    sitting's agency's rounds. Anyone else — no account, or an account that never applied to
    this agency — gets the same refusal, which names nobody: HR learns no one's name or
    whether they have an account from a national ID alone."""
    digits = nid.normalize(national_id)
    if not nid.is_valid(digits):
        raise ValidationFailed(_("Enter a valid 13-digit national ID."), "national_id")
    row = db.session.execute(
        select(User, Application)
        .join(Application, Application.candidate_id == User.id)
        .join(Round, Round.id == Application.round_id)
        .where(
            User.national_id == digits,
            Round.agency_id == sitting.agency_id,
            Application.status.in_(SEATABLE_STATUSES),
        )
        .order_by(Application.id.desc())
        .limit(1)
    ).first()
    if row is None or not row[0].has_role(Role.CANDIDATE):
        raise ValidationFailed(
            _(
                "Nobody with this national ID has a current application to one of your agency's "
                "rounds: only your agency's applicants can be seated."
            ),
            "national_id",
        )
    return row[0], row[1]


def seat_candidate(sitting: Sitting, actor, national_id: str, room: str, seat: str) -> Seat:
    """Seat one of the agency's applicants, found by national ID, in a Part A sitting that is
    not tied to a round."""
    need_hr_of_sitting(actor, sitting)
    if sitting.round_id is not None:
        raise NotAllowed(
            _("This sitting belongs to a recruitment round: seat the round's approved applicants instead.")
        )
    if sitting.status == "ended":
        raise NotAllowed(_("This sitting has ended."))
    room, seat = (room or "").strip(), (seat or "").strip()
    if not room or len(room) > 40:
        raise ValidationFailed(_("Give the room (at most 40 characters)."), "room")
    if not seat or len(seat) > 20:
        raise ValidationFailed(_("Give the seat (at most 20 characters)."), "seat")
    user, application = find_applicant(sitting, national_id)
    existing = list(db.session.scalars(select(Seat).where(Seat.sitting_id == sitting.id)))
    if any(s.candidate_id == user.id for s in existing):
        raise NotAllowed(_("This candidate already has a seat in this sitting."))
    if any(s.room == room and s.seat_number == seat for s in existing):
        raise ValidationFailed(_("Seat %(seat)s in room %(room)s is taken.", seat=seat, room=room), "seat")
    try:
        # The application goes with the seat: its number is the exam number on the ticket.
        return sitting_control.add_seat(
            sitting, user, room=room, seat_number=seat, application_id=application.id, actor=actor
        )
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("This candidate already has a seat in this sitting.")) from None


# ---- proctors -----------------------------------------------------------------------------


def proctors_of(sitting: Sitting) -> list[SittingProctor]:
    """Who is assigned to proctor `sitting`, by name."""
    rows = list(db.session.scalars(select(SittingProctor).where(SittingProctor.sitting_id == sitting.id)))
    return sorted(rows, key=lambda p: (p.user.full_name_th, p.user_id))


def assignable_proctors(sitting: Sitting) -> list[User]:
    """The agency's proctors not yet assigned to `sitting` (the choices of HR's form)."""
    assigned = select(SittingProctor.user_id).where(SittingProctor.sitting_id == sitting.id)
    users = db.session.scalars(
        select(User).where(User.agency_id == sitting.agency_id, User.id.not_in(assigned)).order_by(User.id)
    )
    return sorted((u for u in users if u.has_role(Role.PROCTOR)), key=lambda u: (u.full_name_th, u.id))


def assign_proctor(sitting: Sitting, actor, user: User | None) -> SittingProctor:
    """HR of the sitting's agency assigns one of the agency's proctors to it (audited)."""
    need_hr_of_sitting(actor, sitting)
    if sitting.status == "ended":
        raise NotAllowed(_("This sitting has ended."))
    if user is None or not user.has_role(Role.PROCTOR) or user.agency_id != sitting.agency_id:
        raise ValidationFailed(_("Choose a proctor of this sitting's agency."), "user_id")
    if db.session.scalar(
        select(SittingProctor.id).where(
            SittingProctor.sitting_id == sitting.id, SittingProctor.user_id == user.id
        )
    ):
        raise NotAllowed(_("%(name)s already proctors this sitting.", name=user.full_name_th))
    row = SittingProctor(sitting_id=sitting.id, user_id=user.id, assigned_by_id=actor.id, assigned_at=now())
    db.session.add(row)
    # (assigned by another HR officer at the same moment)
    flush_or_refuse(NotAllowed(_("%(name)s already proctors this sitting.", name=user.full_name_th)))
    record("sitting.proctor_assign", sitting, actor=actor, after={"proctor": user.id})
    db.session.commit()
    return row


def unassign_proctor(sitting: Sitting, actor, user_id: int) -> None:
    """HR takes a proctor off the sitting: from then on every /proctor event of theirs on it is
    refused (audited)."""
    need_hr_of_sitting(actor, sitting)
    row = db.session.scalar(
        select(SittingProctor).where(
            SittingProctor.sitting_id == sitting.id, SittingProctor.user_id == user_id
        )
    )
    if row is None:
        raise NotFound(_("This person does not proctor this sitting."))
    db.session.delete(row)
    record("sitting.proctor_unassign", sitting, actor=actor, before={"proctor": user_id})
    db.session.commit()
