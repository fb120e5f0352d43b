"""What the candidate pages of the online test read: their seats, where each stands, the rules and
the admission ticket's data. Plain functions over the models; no state changes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from blinker import signal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..applications.models import Application, Document, DocumentKind
from ..common import national_id as nid
from ..common.clock import now
from ..common.errors import Forbidden
from ..common.lookup import get_or_not_found
from ..documents.admission_ticket import AdmissionTicket
from ..extensions import db
from ..recruitment.models import Round
from ..uploads import services as uploads
from . import submission, timing
from .models import Attempt, Seat, Sitting

# Asked (sender = the seat) for the test centre to print on the admission ticket; seat booking
# answers for seats candidates booked in a centre's room.
seat_venue = signal("exam-seat-venue")

# The exam rules a candidate accepts at check-in: (English msgid for the page, Thai for the
# admission ticket, which is a Thai-only document). Keep the two columns saying the same thing.
RULES = [
    (_l("Sit the test with your own account only."), "เข้าสอบด้วยบัญชีของตนเองเท่านั้น ห้ามให้ผู้อื่นเข้าสอบแทน"),
    (
        _l("Check in before the start with the last four digits of your national ID and your birth date."),
        "รายงานตัวก่อนเวลาสอบด้วยเลขประจำตัวประชาชน 4 หลักท้ายและวันเดือนปีเกิด",
    ),
    (
        _l(
            "Do not open other windows or tabs during the test: leaving the test page is recorded "
            "and reported to the proctor."
        ),
        "ห้ามเปิดหน้าต่างหรือแท็บอื่นระหว่างสอบ ระบบจะบันทึกการออกจากหน้าสอบและแจ้งกรรมการคุมสอบ",
    ),
    (
        _l("Do not use notes, books, other devices or help from anyone."),
        "ห้ามใช้เอกสาร ตำรา อุปกรณ์อื่น หรือขอความช่วยเหลือจากผู้อื่น",
    ),
    (
        _l("Open the test on one device only: opening it elsewhere stops this page."),
        "เปิดหน้าสอบได้เพียงอุปกรณ์เดียว หากเปิดที่อื่น หน้าเดิมจะหยุดบันทึกคำตอบ",
    ),
    (
        _l("The server's clock counts: when the time is up the test is submitted automatically."),
        "ระบบใช้เวลาของเซิร์ฟเวอร์ เมื่อหมดเวลา ระบบจะส่งคำตอบให้อัตโนมัติ",
    ),
    (
        _l("Follow the proctor's announcements; copying or sharing the questions is forbidden."),
        "ปฏิบัติตามประกาศของกรรมการคุมสอบ ห้ามคัดลอกหรือเผยแพร่ข้อสอบ",
    ),
]


def rules() -> list[str]:
    """The rules in the page's language."""
    return [str(text) for text, _th in RULES]


def rules_th() -> list[str]:
    return [th for _text, th in RULES]


# ---- the candidate's seats ------------------------------------------------------------------


def seats_of(user) -> list[Seat]:
    """Every seat of the candidate, soonest sitting first."""
    return list(
        db.session.scalars(
            select(Seat)
            .join(Sitting)
            .where(Seat.candidate_id == user.id)
            .options(
                selectinload(Seat.sitting).selectinload(Sitting.exam),
                selectinload(Seat.attempt),
                selectinload(Seat.application),
            )
            .order_by(Sitting.starts_at, Seat.id)
        )
    )


def seat_of(user, sitting_id: int) -> Seat:
    """The candidate's own seat in a sitting: 404 for no such sitting, 403 for someone else's."""
    get_or_not_found(Sitting, sitting_id, _("There is no such sitting."))
    seat = db.session.scalar(select(Seat).where(Seat.sitting_id == sitting_id, Seat.candidate_id == user.id))
    if seat is None:
        raise Forbidden(_("You have no seat in this sitting."))
    return seat


# Where a seat stands, for the candidate: one of these codes.
NOT_OPEN, CHECK_IN, CLOSED, CHECKED_IN, IN_PROGRESS, SUBMITTED = (
    "not_open",
    "check_in",
    "closed",
    "checked_in",
    "in_progress",
    "submitted",
)


def checkin_closed(sitting: Sitting, at: datetime) -> bool:
    return sitting.status == "ended" or timing.start_refusal(sitting, at) == "entry_closed"


def seat_status(seat: Seat, at: datetime | None = None) -> str:
    at = at or now()
    attempt = seat.attempt
    if attempt is not None:
        if attempt.status == "submitted":
            return SUBMITTED
        if attempt.status == "in_progress":
            return IN_PROGRESS
        return CLOSED if checkin_closed(seat.sitting, at) else CHECKED_IN
    if at < timing.checkin_opens_at(seat.sitting):
        return NOT_OPEN
    return CLOSED if checkin_closed(seat.sitting, at) else CHECK_IN


@dataclass
class SittingRow:
    seat: Seat
    status: str
    result_visible: bool

    @property
    def attempt(self) -> Attempt | None:
        return self.seat.attempt

    @property
    def sitting(self) -> Sitting:
        return self.seat.sitting

    @property
    def checkin_opens_at(self) -> datetime:
        return timing.checkin_opens_at(self.seat.sitting)


def sitting_rows(user, at: datetime | None = None) -> list[SittingRow]:
    at = at or now()
    rows = []
    for seat in seats_of(user):
        attempt = seat.attempt
        rows.append(
            SittingRow(
                seat, seat_status(seat, at), attempt is not None and submission.results_visible(attempt)
            )
        )
    return rows


# ---- the result ---------------------------------------------------------------------------


def points(value) -> str:
    """A score as people write it: 12, 12.5 (not 12.00)."""
    if value is None or value == "":
        return "-"
    number = Decimal(str(value))
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def result_sections(attempt: Attempt, locale: str) -> list[dict]:
    """Per section of the exam: title, score, maximum, correct answers and items."""
    exam = attempt.seat.sitting.exam
    scores = attempt.section_scores or {}
    rows = []
    for section in exam.sections:
        got = scores.get(section["code"], {})
        title = section.get("title", {})
        rows.append(
            {
                "code": section["code"],
                "title": title.get(locale) or title.get("th") or section["code"],
                "score": points(got.get("score", 0)),
                "max": points(got.get("max", 0)),
                "correct": got.get("correct", 0),
                "items": got.get("items", 0),
            }
        )
    return rows


# ---- the admission ticket -------------------------------------------------------------------


def accommodations_th(seat: Seat) -> list[str]:
    items = []
    if seat.extra_time_percent:
        items.append(f"ได้รับเวลาสอบเพิ่มร้อยละ {seat.extra_time_percent} ของเวลาสอบ")
    if seat.large_text:
        items.append("แสดงตัวอักษรขนาดใหญ่")
    if seat.high_contrast:
        items.append("แสดงผลแบบความคมชัดสูง (สีตัดกันชัดเจน)")
    return items


def application_of_seat(seat: Seat) -> Application | None:
    """The application a seat is for. Seats given one by one before the seat carried its
    application (and the demo's) have none recorded: then the candidate's latest application to
    the sitting's round, or to a round of the sitting's agency."""
    if seat.application is not None:
        return seat.application
    query = select(Application).where(Application.candidate_id == seat.candidate_id)
    if seat.sitting.round_id is not None:
        query = query.where(Application.round_id == seat.sitting.round_id)
    else:
        query = query.join(Round, Round.id == Application.round_id).where(
            Round.agency_id == seat.sitting.agency_id
        )
    return db.session.scalar(query.order_by(Application.id.desc()).limit(1))


PHOTO_TYPES = ("image/jpeg", "image/png")


def photo_path_of(application: Application | None) -> str | None:
    """The file of the newest photograph (JPEG or PNG) uploaded with the application."""
    if application is None:
        return None
    doc = db.session.scalar(
        select(Document)
        .where(
            Document.application_id == application.id,
            Document.kind == DocumentKind.PHOTO,
            Document.content_type.in_(PHOTO_TYPES),
        )
        .order_by(Document.id.desc())
        .limit(1)
    )
    if doc is None:
        return None
    path = uploads.path_of(doc.stored_name)
    return str(path) if path.is_file() else None


def admission_ticket(seat: Seat, verify_url: str) -> AdmissionTicket:
    """The AdmissionTicket of a seat (in Thai: the ticket is a Thai document)."""
    sitting, user = seat.sitting, seat.candidate
    round_ = sitting.round
    agency = round_.agency if round_ is not None and round_.agency is not None else sitting.agency
    application = application_of_seat(seat)
    return AdmissionTicket(
        application_number=application.number if application is not None else "-",
        candidate_name_th=user.full_name_th,
        candidate_name_en=user.full_name_en,
        national_id_masked=nid.masked(user.national_id),
        round_title=round_.title("th") if round_ is not None else sitting.title("th"),
        agency_name=agency.name("th") if agency is not None else "",
        exam_title=sitting.exam.title("th"),
        sitting_at=sitting.starts_at,
        venue=next((v for _fn, v in seat_venue.send(seat) if v), ""),
        room=seat.room or "-",
        seat=seat.seat_number or "-",
        check_in_opens_at=timing.checkin_opens_at(sitting),
        verify_url=verify_url,
        rules=rules_th(),
        accommodations=accommodations_th(seat),
        photo_path=photo_path_of(application),
    )
