"""What's next for a candidate: per application, the steps that stand before them now (submit
documents, check in, take the Part A test, confirm or move an interview, attend it, see a result,
answer an offer, report in), each with its date and the page where it is done.

It reads several capabilities (applications, exams, interviews, merit), so it lives in `main`,
above them all (docs/architecture.md). Plain data out: a step names its kind, its date and the
endpoint of its action; the template puts them into words and links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..applications.attachments import expected_documents
from ..applications.models import Application, ApplicationStatus
from ..applications.services import applications_of
from ..common.clock import BANGKOK, now
from ..exams import candidate as exam_candidate
from ..interviews import booking
from ..merit import offers as merit_offers
from ..merit import public as merit_public
from ..merit.labels import list_title
from ..merit.models import OfferStatus
from ..recruitment.models import RoundStatus, StageKind

# The kinds of step, in the order a candidate meets them.
DOCUMENTS = "documents"  # submit the documents the round asks for, by the closing date
IN_REVIEW = "in_review"  # HR is checking the application
TEST_AT = "test_at"  # a Part A test ahead: check-in opens at `when`, the test starts at `until`
CHECK_IN = "check_in"  # check-in is open now; the test starts at `when`
TEST_OPEN = "test_open"  # checked in or under way: enter the exam now
TEST_MISSED = "test_missed"  # check-in closed before the candidate came
RESULT_WAITING = "result_waiting"  # submitted; the result is published later (by `when`, if HR said)
RESULT_OUT = "result_out"  # the result can be seen
INTERVIEW_WAITING = "interview_waiting"  # no time set yet; unavailable times may be declared
INTERVIEW_CONFIRM = "interview_confirm"  # confirm (or move) the time by `until`; interview at `when`
INTERVIEW_AT = "interview_at"  # the interview at `when`
INTERVIEW_CHECK_IN = "interview_check_in"  # the interview's check-in is open now
RESULTS_PLANNED = "results_planned"  # the round's results (stage `detail`) are announced by `when`
ON_LIST = "on_list"  # placed on a published list (rank `detail`), published at `when`
OFFER_ANSWER = "offer_answer"  # answer the offer by `when`
REPORT_IN = "report_in"  # accepted: start work on `when`
NOT_APPROVED = "not_approved"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Step:
    kind: str
    when: date | datetime | None = None  # the step's date (a datetime in UTC, a date in Bangkok)
    until: datetime | None = None  # a second date some steps have (see the kinds)
    title: str = ""  # what the step is about: an exam's or a sitting's title, a list's
    detail: str = ""  # a rank, a room and seat
    endpoint: str = ""  # where it is done: a Flask endpoint and its values (the template links it)
    values: dict = field(default_factory=dict)
    urgent: bool = False  # to be done now


@dataclass(frozen=True)
class ApplicationSteps:
    application: Application | None  # None: exam seats not tied to an application
    steps: list[Step]

    @property
    def next(self) -> Step | None:
        return self.steps[0] if self.steps else None

    @property
    def later(self) -> list[Step]:
        return self.steps[1:]


def _instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time(), tzinfo=BANGKOK)


def _order(step: Step, at: datetime) -> tuple:
    """Which step is next: one to do now, then what comes up soonest, then what the candidate
    waits for (undated), then what has happened (newest first)."""
    if step.urgent:
        return (0, 0)
    dated = step.until if step.kind == TEST_AT else step.when
    if dated is None:
        return (2, 0)
    moment = _instant(dated).timestamp()
    if step.kind in (RESULT_WAITING, RESULTS_PLANNED):
        return (2, moment)  # awaited, even when the announced date has passed
    return (1, moment) if moment >= at.timestamp() else (3, -moment)


def _exam_stage_kind(exam) -> str:
    """The stage of a round an exam's results are for: Part A, or Part B for any other exam."""
    return StageKind.PART_A if exam.is_part_a else StageKind.PART_B


def _announced_on(round_, kind: str) -> date | None:
    stage = round_.stage(kind) if round_ is not None else None
    return stage.results_announced_on if stage is not None else None


def _exam_steps(rows, locale: str) -> list[Step]:
    steps = []
    for row in rows:
        sitting, seat = row.sitting, row.seat
        common = dict(
            title=sitting.exam.title(locale),
            detail=f"{seat.room or '-'} / {seat.seat_number or '-'}",
            values={"sitting_id": sitting.id},
        )
        if row.status == exam_candidate.NOT_OPEN:
            steps.append(
                Step(
                    TEST_AT,
                    when=row.checkin_opens_at,
                    until=sitting.starts_at,
                    endpoint="exams.ticket",
                    **common,
                )
            )
        elif row.status == exam_candidate.CHECK_IN:
            steps.append(
                Step(CHECK_IN, when=sitting.starts_at, endpoint="exams.check_in", urgent=True, **common)
            )
        elif row.status in (exam_candidate.CHECKED_IN, exam_candidate.IN_PROGRESS):
            steps.append(
                Step(TEST_OPEN, when=sitting.starts_at, endpoint="exams.take", urgent=True, **common)
            )
        elif row.status == exam_candidate.SUBMITTED:
            if row.result_visible:
                published = sitting.results_published_at or (
                    row.attempt.submitted_at if row.attempt else None
                )
                steps.append(Step(RESULT_OUT, when=published, endpoint="exams.result", **common))
            else:
                announced = _announced_on(sitting.round, _exam_stage_kind(sitting.exam))
                steps.append(Step(RESULT_WAITING, when=announced, endpoint="exams.my_sittings", **common))
        else:
            steps.append(Step(TEST_MISSED, when=sitting.starts_at, endpoint="exams.my_sittings", **common))
    return steps


def _interview_steps(rows) -> list[Step]:
    steps = []
    for row in rows:
        iv = row.interview
        if iv.status not in (*booking.LIVE, "checked_in"):
            continue
        common = dict(when=iv.slot.starts_at, endpoint="interviews.mine")
        if row.can_check_in:
            steps.append(Step(INTERVIEW_CHECK_IN, urgent=True, **common))
        elif row.can_confirm and row.can_move:  # past the move deadline only "interview at" is left
            steps.append(Step(INTERVIEW_CONFIRM, until=row.move_deadline, **common))
        else:
            steps.append(Step(INTERVIEW_AT, **common))
    return steps


def _application_steps(app_: Application, at: datetime) -> list[Step]:
    if app_.status == ApplicationStatus.WITHDRAWN:
        return [
            Step(
                WITHDRAWN, when=app_.withdrawn_at, endpoint="applications.detail", values={"app_id": app_.id}
            )
        ]
    if app_.status == ApplicationStatus.REJECTED:
        return [
            Step(
                NOT_APPROVED, when=app_.decided_at, endpoint="applications.detail", values={"app_id": app_.id}
            )
        ]
    if app_.status != ApplicationStatus.SUBMITTED:
        return []
    round_ = app_.round
    have = {d.kind for d in app_.documents}
    missing = [k for k in expected_documents(round_) if k not in have]
    if missing and round_.status == RoundStatus.OPEN and round_.closes_at > at:
        return [
            Step(
                DOCUMENTS,
                when=round_.closes_at,
                detail=str(len(missing)),
                endpoint="applications.detail",
                values={"app_id": app_.id},
                urgent=True,
            )
        ]
    return [Step(IN_REVIEW, endpoint="applications.detail", values={"app_id": app_.id})]


def _round_results_step(
    app_: Application, steps: list[Step], rankings, listed_rounds: set[int]
) -> list[Step]:
    """The step saying by when the results of the round's last stage are announced, as HR set
    it, until a list of the round is out (then the list's own date shows). A last stage that is
    an exam the candidate sat already says it with its exam step."""
    round_ = app_.round
    if not round_.stages or rankings or round_.id in listed_rounds or round_.status == RoundStatus.COMPLETED:
        return []
    last = round_.stages[-1]
    if last.results_announced_on is None:
        return []
    if any(s.kind in (RESULT_WAITING, RESULT_OUT) for s in steps) and last.kind in (
        StageKind.PART_A,
        StageKind.PART_B,
    ):
        return []
    return [
        Step(
            RESULTS_PLANNED,
            when=last.results_announced_on,
            detail=last.kind,
            endpoint="applications.detail",
            values={"app_id": app_.id},
        )
    ]


def _offer_steps(offers, at: datetime) -> list[Step]:
    steps = []
    for offer in offers:
        if offer.status == OfferStatus.PENDING and merit_offers.can_respond(offer, at):
            steps.append(Step(OFFER_ANSWER, when=offer.report_by, endpoint="merit.offers_mine", urgent=True))
        elif (
            offer.status == OfferStatus.ACCEPTED
            and offer.start_date is not None
            and offer.start_date >= at.astimezone(BANGKOK).date()
        ):
            steps.append(Step(REPORT_IN, when=offer.start_date, endpoint="merit.offers_mine"))
    return steps


def next_steps(user, locale: str, at: datetime | None = None) -> list[ApplicationSteps]:
    """The candidate's applications (newest first), each with its steps, the next one first; exam
    seats not tied to an application come last, as a group of their own."""
    at = at or now()
    seat_rows: dict[int | None, list] = {}
    for row in exam_candidate.sitting_rows(user, at):
        application = exam_candidate.application_of_seat(row.seat)
        seat_rows.setdefault(application.id if application else None, []).append(row)
    interviews: dict[int, list] = {}
    for row in booking.my_interviews(user):
        interviews.setdefault(row.interview.application_id, []).append(row)
    offers: dict[int, list] = {}
    for offer in merit_offers.offers_of_candidate(user):
        offers.setdefault(offer.entry.application_id, []).append(offer)
    awaiting = {a.id for a in booking.awaiting_schedule(user)}

    applications = applications_of(user)
    listed_rounds = merit_public.rounds_with_public_lists([a.round_id for a in applications])
    result = []
    for app_ in applications:
        steps = _application_steps(app_, at)
        if app_.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED):
            steps += _exam_steps(seat_rows.get(app_.id, []), locale)
            steps += _interview_steps(interviews.get(app_.id, []))
            rankings = merit_public.rankings_of_application(app_)
            # A round whose lists are out has finished its interviews: nothing left to schedule.
            if app_.id in awaiting and not rankings and app_.round.status != RoundStatus.COMPLETED:
                steps.append(Step(INTERVIEW_WAITING, endpoint="interviews.mine"))
            for ranking in rankings:
                if ranking.status == "valid":
                    steps.append(
                        Step(
                            ON_LIST,
                            when=ranking.merit_list.published_at,
                            title=list_title(ranking.merit_list, locale),
                            detail=str(ranking.entry.rank),
                            endpoint="merit.public_list",
                            values={"list_id": ranking.merit_list.id},
                        )
                    )
            steps += _offer_steps(offers.get(app_.id, []), at)
            steps += _round_results_step(app_, steps, rankings, listed_rounds)
        result.append(ApplicationSteps(app_, sorted(steps, key=lambda s: _order(s, at))))
    if seat_rows.get(None):
        steps = _exam_steps(seat_rows[None], locale)
        result.append(ApplicationSteps(None, sorted(steps, key=lambda s: _order(s, at))))
    # Applications with something to do now come first.
    return sorted(result, key=lambda g: not (g.next and g.next.urgent))
