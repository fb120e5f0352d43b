"""Test centres, sittings in their rooms, a round with a booking window and (optionally) a fee, and
many approved applications at once (the booking race), each in a line."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from app.accounts.models import Role, User, UserRole
from app.applications.models import Application, ApplicationStatus
from app.booking import policy
from app.centres import services as centres
from app.common.clock import now
from app.exams import sitting_control
from app.extensions import db
from app.payments import services as payments
from app.recruitment.models import Mode, RoundStatus

_seq = itertools.count(1)


@dataclass
class BookingWorld:
    agency: object
    hr: object
    round: object
    exam: object
    venue: object
    sittings: list = field(default_factory=list)
    rooms: list = field(default_factory=list)


def exam_for_booking(make):
    """A Part B style written exam (not the online Part A: rooms need no computers)."""
    from app.exams.models import Exam

    e = Exam(
        code=f"exam-book-{next(_seq)}",
        bank="b",
        title_th="ภาค ข ทดสอบ",
        title_en="Part B test",
        duration_minutes=60,
        sections=[],
        is_part_a=False,
    )
    db.session.add(e)
    db.session.commit()
    return e


def world(
    make,
    *,
    seats=(3,),
    accessible=(0,),
    sittings=1,
    fee: str | None = None,
    mode=Mode.COMPETITIVE_EXAM,
    provides=None,
    hold_hours: int = 48,
    status: str = RoundStatus.IN_PROGRESS,
) -> BookingWorld:
    """A round of an agency with a booking window open now, `sittings` sittings each in one room
    per entry of `seats` (with `accessible` accessible seats), and a fee if given."""
    agency = make.agency()
    hr = make.hr(agency)
    round_ = make.round_(agency, mode=mode, status=status)
    exam = exam_for_booking(make)
    venue = centres.add_venue(hr, f"โรงเรียนทดสอบ {next(_seq)}", "Test School", "ถนนดินสอ เขตพระนคร")
    rooms = [
        centres.add_room(venue, hr, code=f"{301 + i}", seats=n, accessible_seats=a, provides=provides or [])
        for i, (n, a) in enumerate(zip(seats, accessible, strict=True))
    ]
    w = BookingWorld(agency, hr, round_, exam, venue, rooms=rooms)
    for k in range(sittings):
        s = sitting_control.create_sitting(
            hr,
            exam=exam,
            agency_id=agency.id,
            round_id=round_.id,
            title_th=f"รอบสอบที่ {k + 1}",
            title_en=f"Sitting {k + 1}",
            starts_at=now() + timedelta(days=10 + k),
            timing_mode="synchronized",
        )
        for room in rooms:
            centres.attach_room(s, hr, room)
        w.sittings.append(s)
    policy.set_policy(
        round_,
        hr,
        opens_at=now() - timedelta(days=1),
        closes_at=now() + timedelta(days=5),
        change_cutoff_at=now() + timedelta(days=7),
        hold_hours=hold_hours,
    )
    if fee:
        payments.set_fee(round_, hr, Decimal(fee), 3)
    return w


def many_applications(round_, n: int) -> list[int]:
    """`n` approved applications of new candidates, inserted in one transaction; their ids."""
    start = next(_seq) * 100000
    users = []
    for i in range(n):
        u = User(
            email=f"racer{start + i}@example.test",
            password_hash="x",
            first_name_th="ผู้สมัคร",
            last_name_th=f"ที่{i}",
            email_verified_at=now(),
        )
        u.roles = [UserRole(role=Role.CANDIDATE)]
        users.append(u)
    db.session.add_all(users)
    db.session.flush()
    apps = []
    for u in users:
        round_.application_seq += 1
        apps.append(
            Application(
                number=f"{round_.code}-{round_.application_seq:05d}",
                round_id=round_.id,
                candidate_id=u.id,
                status=ApplicationStatus.APPROVED,
                qualifications={},
                eligibility=[],
            )
        )
    db.session.add_all(apps)
    db.session.commit()
    return [a.id for a in apps]


STATEMENT_HEADER = "Transaction Date,Transaction Time,Ref1,Ref2,Amount,Customer Name,Transaction ID\n"


def statement_csv(*lines: tuple) -> bytes:
    """A bank bill-payment report: each line (date, time, ref1, ref2, amount, name, txn id)."""
    body = "".join(",".join(str(v) for v in line) + "\n" for line in lines)
    return (STATEMENT_HEADER + body).encode("utf-8")
