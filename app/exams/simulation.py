"""Simulated past sittings, for the demo and the tests only: candidates of known ability
answering as known item parameters say, so that calibration and parallel forms can be shown
(and checked) before a bank has real responses. Never run on a production database: the
candidates it creates are placeholder accounts that cannot log in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from ..accounts.models import User
from ..common.clock import now
from ..extensions import db
from . import assembly, irt
from .models import Attempt, AttemptAnswer, Exam, ExamItem, ItemVersion, Seat, Sitting

BAND_CENTRES = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
NO_PASSWORD = "!"  # no password hash matches: these accounts cannot log in


def band_truth(items: list[ExamItem], seed: int) -> dict[int, tuple[float, float]]:
    """True (a, b) per item version: discrimination ~ lognormal(0, 0.25), difficulty around
    the author's band (easy −1, medium 0, hard +1, sd 0.35)."""
    rng = np.random.default_rng(seed)
    return {
        item.current_version.id: (
            float(np.exp(rng.normal(0.0, 0.25))),
            float(BAND_CENTRES[item.difficulty] + rng.normal(0.0, 0.35)),
        )
        for item in items
        if item.current_version is not None
    }


def simulate_past_sitting(
    exam: Exam, truth: dict[int, tuple[float, float]], n_candidates: int, seed: int, agency_id: int
) -> list[Attempt]:
    """An ended sitting of `exam` 30 days ago: `n_candidates` placeholder candidates of ability
    ~ N(0, 1), each given a form by the platform's own assembly and answering as `truth` says;
    every attempt submitted and scored (pretest items left out of the score)."""
    rng = np.random.default_rng(seed)
    sitting = Sitting(
        exam_id=exam.id,
        agency_id=agency_id,
        title_th="รอบสอบจำลอง (ข้อมูลสมมุติ)",
        title_en="Simulated past sitting (fictitious data)",
        timing_mode="synchronized",
        starts_at=now() - timedelta(days=30),
        status="ended",
    )
    db.session.add(sitting)
    candidates = [
        User(
            email=f"simulated-{seed}-{n}@example.invalid",
            password_hash=NO_PASSWORD,
            first_name_th="ผู้สอบจำลอง",
            last_name_th=str(n + 1),
        )
        for n in range(n_candidates)
    ]
    db.session.add_all(candidates)
    db.session.flush()
    seats = [
        Seat(sitting_id=sitting.id, candidate_id=c.id, room="SIM", seat_number=str(n + 1))
        for n, c in enumerate(candidates)
    ]
    db.session.add_all(seats)
    db.session.flush()
    attempts = []
    for n, seat in enumerate(seats):
        form = assembly.assemble_form(exam, seed * 100_000 + n)
        theta = rng.normal(0.0, 1.0)
        attempt = Attempt(
            seat_id=seat.id,
            form_seed=seed * 100_000 + n,
            form=form,
            status="submitted",
            submitted_at=now() - timedelta(days=30),
            submitted_by="candidate",
        )
        db.session.add(attempt)
        attempts.append((attempt, form, theta))
    db.session.flush()
    points = {s["code"]: Decimal(str(s.get("points_per_item", 1))) for s in exam.sections}
    used = {q["version_id"] for _a, form, _t in attempts for q in form}
    keys = dict(
        db.session.execute(select(ItemVersion.id, ItemVersion.key).where(ItemVersion.id.in_(used))).all()
    )
    answers = []
    for attempt, form, theta in attempts:
        score, maximum = Decimal(0), Decimal(0)
        for index, question in enumerate(form):
            a, b = truth[question["version_id"]]
            right = rng.random() < irt.probability([theta], [a], [b])[0, 0]
            if assembly.is_scored(question):
                maximum += points[question["section"]]
                score += points[question["section"]] if right else 0
            key = keys[question["version_id"]]
            choice = key if right else next(c for c in question["choice_order"] if c != key)
            answers.append(AttemptAnswer(attempt_id=attempt.id, index=index, choice=choice, seq=index + 1))
        attempt.score, attempt.max_score = score, maximum
        attempt.passed = maximum > 0 and score * 100 >= maximum * exam.pass_percent
    db.session.add_all(answers)
    db.session.commit()
    return [a for a, _f, _t in attempts]
