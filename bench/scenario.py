"""Build a started sitting with N checked-in candidates straight through the services (fast: one
password hash shared by all), and mint their session cookies. For bench/exam_load.py and the
multi-worker and fault tests. Needs an app context."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from app.accounts.models import Role, User, UserRole
from app.accounts.services import hash_password
from app.accounts.sessions import session_values
from app.agencies.models import Agency
from app.common import national_id as nid
from app.common.clock import now
from app.exams import sitting_control, timing
from app.exams.assembly import assemble_form
from app.exams.models import Attempt, AttemptAnswer, Exam, ExamItem, ItemVersion, Seat
from app.extensions import db

PASSWORD = "bench-password-42"
BIRTH = date(1995, 1, 15)


@dataclass
class Seated:
    user_id: int
    email: str
    seat_id: int
    attempt_id: int
    choices: list[list[str]]  # per question, the choice ids in the candidate's order
    cookie: str = ""


@dataclass
class Built:
    sitting_id: int
    proctor_id: int
    proctor_email: str
    candidates: list[Seated]
    deadline: object


def _bank(name: str, per_band: int) -> None:
    for section in ("num", "law"):
        for band in ("easy", "medium", "hard"):
            for i in range(per_band):
                code = f"{name}-{section}-{band}-{i}".upper()
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


def build(
    n: int,
    *,
    duration_minutes: int = 180,
    per_band: int = 5,
    tag: str = "bench",
    start: bool = True,
    extra_time_percent: int = 0,
) -> Built:
    """A synchronized sitting of `n` candidates, all checked in; started unless start=False."""
    stamp = f"{tag}{now().strftime('%H%M%S%f')}"
    _bank(stamp, per_band)
    exam = Exam(
        code=f"exam-{stamp}",
        bank=stamp,
        title_th="ภาค ก",
        title_en="Part A",
        duration_minutes=duration_minutes,
        results_policy="immediate",
        sections=[
            {
                "code": s,
                "title": {"th": s, "en": s},
                "points_per_item": 1,
                "draw": {"easy": per_band, "medium": per_band, "hard": per_band},
            }
            for s in ("num", "law")
        ],
    )
    agency = Agency(code=stamp[:20], name_th=f"หน่วยงาน {stamp}", name_en=f"Agency {stamp}")
    db.session.add_all([exam, agency])
    db.session.commit()
    hashed = hash_password(PASSWORD)
    proctor = User(
        email=f"proctor-{stamp}@bench.test",
        password_hash=hashed,
        first_name_th="ผู้คุมสอบ",
        last_name_th=stamp,
        agency_id=agency.id,
        email_verified_at=now(),
    )
    proctor.roles = [UserRole(role=Role.HR_OFFICER)]
    db.session.add(proctor)
    base = int(hashlib.sha256(stamp.encode()).hexdigest()[:7], 16) % 10**6
    users = []
    for i in range(n):
        u = User(
            email=f"cand{i}-{stamp}@bench.test",
            password_hash=hashed,
            first_name_th="ผู้สมัคร",
            last_name_th=f"{i}",
            national_id=nid.complete(f"3{base:06d}{i:05d}"),
            birth_date=BIRTH,
            locale="en",
            email_verified_at=now(),
        )
        u.roles = [UserRole(role=Role.CANDIDATE)]
        users.append(u)
    db.session.add_all(users)
    db.session.commit()
    sitting = sitting_control.create_sitting(
        proctor,
        exam=exam,
        agency_id=agency.id,
        title_th=f"รอบ {stamp}",
        starts_at=now() + timedelta(minutes=5),
    )
    if start:
        sitting_control.start_sitting(sitting, proctor)
    # Seats, check-ins and starts in bulk: what add_seat / check_in / begin_if_due do for each
    # candidate, without an audit entry each (this is test data, not the events under test).
    at = now()
    seats = [
        Seat(
            sitting_id=sitting.id,
            candidate_id=u.id,
            room=f"{100 + i // 40}",
            seat_number=f"{i % 40 + 1}",
            extra_time_percent=extra_time_percent,
            checked_in_at=at,
        )
        for i, u in enumerate(users)
    ]
    db.session.add_all(seats)
    db.session.flush()
    attempts = []
    for seat in seats:
        seed = secrets.randbelow(2**31 - 1)
        attempt = Attempt(
            seat_id=seat.id, form_seed=seed, form=assemble_form(exam, seed), extension_seconds=0
        )
        if start:
            attempt.status, attempt.started_at = "in_progress", at
            attempt.deadline = timing.deadline_for(sitting, exam, seat, attempt, at)
        attempts.append(attempt)
    db.session.add_all(attempts)
    db.session.commit()
    seated = [
        Seated(u.id, u.email, seat.id, attempt.id, [q["choice_order"] for q in attempt.form])
        for u, seat, attempt in zip(users, seats, attempts)
    ]
    deadline = attempts[0].deadline if attempts else None
    built = Built(sitting.id, proctor.id, proctor.email, seated, deadline)
    db.session.remove()
    return built


def session_cookie(app, user_id: int, lang: str = "en") -> str:
    """The signed Flask session a login would give (accounts.sessions), as a Cookie header."""
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        value = serializer.dumps(session_values(db.session.get(User, user_id), lang=lang))
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"


def stored_answers(attempt_ids: list[int]) -> dict[tuple[int, int], tuple[str | None, int]]:
    db.session.remove()
    rows = db.session.query(
        AttemptAnswer.attempt_id, AttemptAnswer.index, AttemptAnswer.choice, AttemptAnswer.seq
    ).filter(AttemptAnswer.attempt_id.in_(attempt_ids))
    return {(a, i): (c, s) for a, i, c, s in rows}


def lost_answers(acked: dict[tuple[int, int], tuple[str | None, int]]) -> list[tuple]:
    """Acknowledged answers the database does not hold (an older seq, or none at all)."""
    stored = {}
    ids = sorted({a for a, _ in acked})
    for i in range(0, len(ids), 500):
        stored.update(stored_answers(ids[i : i + 500]))
    lost = []
    for key, (choice, seq) in acked.items():
        have = stored.get(key)
        if have is None or have[1] < seq or (have[1] == seq and have[0] != choice):
            lost.append((key, (choice, seq), have))
    return lost
