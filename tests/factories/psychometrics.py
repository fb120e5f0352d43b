"""Known truth for the psychometrics tests: item parameters and abilities drawn from a seed,
responses simulated from them (as triples for the fit alone, or as submitted attempts of a
sitting for the services), and a bank whose items carry topics."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import numpy as np

from app.accounts.models import User
from app.common.clock import now
from app.exams import assembly, irt
from app.exams.models import Attempt, AttemptAnswer, ExamItem, ItemVersion, Seat, Sitting
from app.extensions import db
from tests.factories.accounts import agency as make_agency


def true_parameters(n_items: int, seed: int, rasch: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Discriminations ~ lognormal(0, 0.3) (all 1 under Rasch) and difficulties ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    a = np.ones(n_items) if rasch else np.exp(rng.normal(0.0, 0.3, n_items))
    return a, rng.normal(0.0, 1.0, n_items)


def simulated_triples(a, b, n_people: int, per_person: int, seed: int) -> list[tuple[int, int, int]]:
    """(person, item, 0/1) triples: each person of ability ~ N(0, 1) takes `per_person` items
    drawn at random from the bank, as random forms do."""
    rng = np.random.default_rng(seed + 1)
    theta = rng.normal(0.0, 1.0, n_people)
    out = []
    for person in range(n_people):
        items = rng.choice(len(a), size=per_person, replace=False)
        p = irt.probability([theta[person]], a[items], b[items])[0]
        right = rng.random(per_person) < p
        out.extend((person, int(i), int(r)) for i, r in zip(items, right, strict=True))
    return out


def topic_bank(name: str, sections=("num", "law"), per_band: int = 6, topics=("t1", "t2")) -> list[ExamItem]:
    """per_band items of each band in each section, topics taking turns; key always 'b'."""
    items = []
    for section in sections:
        for band in ("easy", "medium", "hard"):
            for i in range(per_band):
                code = f"{section}-{band}-{i}".upper()
                item = ExamItem(
                    bank=name, code=code, section=section, topic=topics[i % len(topics)], difficulty=band
                )
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
                items.append(item)
    db.session.commit()
    return items


def band_truth(items: list[ExamItem], seed: int) -> dict[int, tuple[float, float]]:
    """True (a, b) per item version, difficulty following the author's band (easy about −1,
    medium 0, hard +1)."""
    rng = np.random.default_rng(seed)
    centre = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
    return {
        item.current_version.id: (
            float(np.exp(rng.normal(0.0, 0.25))),
            float(centre[item.difficulty] + rng.normal(0.0, 0.35)),
        )
        for item in items
    }


def submitted_history(
    exam, truth: dict[int, tuple[float, float]], n_candidates: int, seed: int
) -> list[Attempt]:
    """A past sitting of `exam`: `n_candidates` candidates of ability ~ N(0, 1), each given a form
    by the platform's own assembly, answering as the true parameters say; all submitted."""
    rng = np.random.default_rng(seed)
    agency = make_agency()
    sitting = Sitting(
        exam_id=exam.id,
        agency_id=agency.id,
        title_th="รอบสอบที่ผ่านมา",
        timing_mode="synchronized",
        starts_at=now() - timedelta(days=30),
        status="ended",
    )
    db.session.add(sitting)
    db.session.flush()
    candidates = [
        User(
            email=f"sim{seed}-{n}@example.test", password_hash="-", first_name_th="ผู้สอบ", last_name_th=str(n)
        )
        for n in range(n_candidates)
    ]
    db.session.add_all(candidates)
    db.session.flush()
    attempts = []
    for n, candidate in enumerate(candidates):
        seat = Seat(sitting_id=sitting.id, candidate_id=candidate.id, room="1", seat_number=str(n + 1))
        db.session.add(seat)
        db.session.flush()
        form = assembly.assemble_form(exam, 1000 + n)
        theta = rng.normal(0.0, 1.0)
        attempt = Attempt(
            seat_id=seat.id,
            form_seed=1000 + n,
            form=form,
            status="submitted",
            submitted_at=now() - timedelta(days=30),
            submitted_by="candidate",
        )
        db.session.add(attempt)
        db.session.flush()
        right = 0
        for index, question in enumerate(form):
            a, b = truth[question["version_id"]]
            correct = rng.random() < irt.probability([theta], [a], [b])[0, 0]
            right += int(correct and assembly.is_scored(question))
            db.session.add(
                AttemptAnswer(
                    attempt_id=attempt.id, index=index, choice="b" if correct else "a", seq=index + 1
                )
            )
        scored = sum(1 for q in form if assembly.is_scored(q))
        attempt.score, attempt.max_score = Decimal(right), Decimal(scored)
        attempts.append(attempt)
    db.session.commit()
    return attempts
