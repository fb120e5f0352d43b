"""Build a small exam bank, exam, sitting and seat in a few lines for the online-test tests, and a
submitted Part A attempt behind a stage score."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.common.clock import now
from app.exams import checkin, sitting_control
from app.exams.models import Attempt, Exam, ExamItem, ItemVersion, Seat, Sitting
from app.extensions import db


def bank(name: str = "t-bank", sections=("num", "law"), per_band: int = 3) -> None:
    """per_band items of each difficulty in each section; the key is always choice 'b'."""
    for section in sections:
        for band in ("easy", "medium", "hard"):
            for i in range(per_band):
                code = f"{section}-{band}-{i}".upper()
                item = ExamItem(bank=name, code=code, section=section, topic="t", difficulty=band)
                item.versions.append(
                    ItemVersion(
                        version=1,
                        stem_th=f"คำถาม {code}",
                        stem_en=f"Question {code}",
                        choices=[{"id": c, "th": f"ตัวเลือก {c}", "en": f"choice {c}"} for c in "abcd"],
                        key="b",
                        content_hash=hashlib.sha256(code.encode()).hexdigest(),
                    )
                )
                db.session.add(item)
    db.session.commit()


def exam(
    name: str = "t-bank", duration: int = 30, policy: str = "immediate", draw=None, sections=("num", "law")
) -> Exam:
    draw = draw or {"easy": 1, "medium": 1, "hard": 1}
    e = Exam(
        code=f"exam-{name}",
        bank=name,
        title_th="ภาค ก ทดสอบ",
        title_en="Part A test",
        duration_minutes=duration,
        results_policy=policy,
        sections=[
            {"code": s, "title": {"th": s, "en": s}, "points_per_item": 1, "draw": draw} for s in sections
        ],
    )
    db.session.add(e)
    db.session.commit()
    return e


def sitting(make, exam_: Exam, mode: str = "synchronized", starts_in=timedelta(minutes=10), **kw):
    agency = make.agency()
    hr = make.hr(agency)
    starts = now() + starts_in
    if mode == "window":
        kw.setdefault("window_ends_at", starts + timedelta(hours=2))
    s = sitting_control.create_sitting(
        hr, exam=exam_, agency_id=agency.id, title_th="รอบสอบทดสอบ", starts_at=starts, timing_mode=mode, **kw
    )
    return s, hr


def seated(make, sitting_, **seat_kw):
    cand = make.candidate()
    seat = sitting_control.add_seat(sitting_, cand, room="101", seat_number="A1", **seat_kw)
    return cand, seat


def check_in(cand, seat, at=None):
    return checkin.check_in(
        seat,
        cand,
        national_id_last4=cand.national_id[-4:],
        birth_date=cand.birth_date,
        accept_rules=True,
        at=at,
    )


BIRTH = date(1995, 1, 15)


def exam_attempt(
    db, make, candidate, *, round_=None, score="30", max_score="40", application=None, agency=None
):
    """A submitted online Part A attempt (the test-taking journey is in the exam tests)."""
    exam = db.session.scalar(select(Exam).where(Exam.code == "exam-scores"))
    if exam is None:
        exam = Exam(code="exam-scores", bank="b", title_th="ภาค ก", duration_minutes=60, sections=[])
        db.session.add(exam)
    agency_id = round_.agency_id if round_ else (agency or make.agency()).id
    sitting = Sitting(
        exam=exam,
        round_id=round_.id if round_ else None,
        agency_id=agency_id,
        title_th="สอบภาค ก",
        timing_mode="synchronized",
        starts_at=now() - timedelta(days=3),
    )
    db.session.add(sitting)
    db.session.flush()
    seat = Seat(
        sitting_id=sitting.id,
        candidate_id=candidate.id,
        application_id=application.id if application else None,
        room="101",
        seat_number="A1",
    )
    db.session.add(seat)
    db.session.flush()
    attempt = Attempt(
        seat_id=seat.id,
        form_seed=1,
        form=[],
        status="submitted",
        submitted_at=now() - timedelta(days=3),
        score=Decimal(score),
        max_score=Decimal(max_score),
        passed=Decimal(score) >= Decimal(max_score) * Decimal("0.6"),
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def proctor(sitting, u=None):
    """A proctor of the sitting's agency (a new one unless `u`), assigned to `sitting` by HR."""
    from app.accounts.models import Role
    from app.exams.models import SittingProctor
    from tests.factories.accounts import hr, user

    u = u or user(Role.PROCTOR, agency=sitting.agency)
    by = hr(sitting.agency)
    db.session.add(SittingProctor(sitting_id=sitting.id, user_id=u.id, assigned_by_id=by.id))
    db.session.commit()
    return u


# One item of each type, with its key and a right and a wrong answer payload for the tests.
TYPED_ITEMS = {
    "single": {
        "choices": [{"id": c, "th": f"ตัวเลือก {c}", "en": f"choice {c}"} for c in "abcd"],
        "key": "b",
        "right": {"choice": "b"},
        "wrong": {"choice": "a"},
    },
    "multiple": {
        "choices": [{"id": c, "th": f"ตัวเลือก {c}", "en": f"choice {c}"} for c in "abcd"],
        "key": ["a", "c"],
        "right": {"choices": ["c", "a"]},
        "wrong": {"choices": ["a", "b"]},
    },
    "true_false": {
        "choices": [{"id": "t", "th": "ถูก", "en": "True"}, {"id": "f", "th": "ผิด", "en": "False"}],
        "key": "t",
        "right": {"choice": "t"},
        "wrong": {"choice": "f"},
    },
    "numeric": {
        "choices": [],
        "key": [{"value": "3.14", "tolerance": "0.01"}],
        "right": {"value": "๓.๑๕"},  # Thai digits, inside the tolerance
        "wrong": {"value": "3.2"},
    },
    "text": {
        "choices": [],
        "key": ["กรุงเทพมหานคร", "Bangkok"],
        "right": {"text": "  bangkok "},
        "wrong": {"text": "เชียงใหม่"},
    },
}


def typed_bank(name: str = "typed-bank", section: str = "mix", max_choices: int | None = None) -> None:
    """One easy item of each type in one section (codes SINGLE, MULTIPLE, TRUE-FALSE, ...);
    `max_choices` limits the multiple-response item."""
    for item_type, spec in TYPED_ITEMS.items():
        code = item_type.upper().replace("_", "-")
        item = ExamItem(bank=name, code=code, section=section, topic="t", difficulty="easy")
        item.versions.append(
            ItemVersion(
                version=1,
                item_type=item_type,
                stem_th=f"คำถามแบบ {item_type}",
                stem_en=f"Question of type {item_type}",
                choices=spec["choices"],
                key=spec["key"],
                fixed_order=item_type == "true_false",
                max_choices=max_choices if item_type == "multiple" else None,
                content_hash=hashlib.sha256(code.encode()).hexdigest(),
            )
        )
        db.session.add(item)
    db.session.commit()


def typed_exam(name: str = "typed-bank", section: str = "mix", scoring: str = "all_or_nothing") -> Exam:
    """An exam drawing the typed bank's five items (immediate results)."""
    e = Exam(
        code=f"exam-{name}",
        bank=name,
        title_th="ภาค ก ทุกแบบข้อสอบ",
        title_en="Part A, every item type",
        duration_minutes=30,
        results_policy="immediate",
        multiple_scoring=scoring,
        sections=[
            {
                "code": section,
                "title": {"th": section, "en": section},
                "points_per_item": 2,
                "draw": {"easy": 5},
            }
        ],
    )
    db.session.add(e)
    db.session.commit()
    return e
