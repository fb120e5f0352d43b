"""Known truth for the psychometrics tests: item parameters and abilities drawn from a seed,
responses simulated from them (as triples for the fit alone, or as submitted attempts of a
sitting for the services), and a bank whose items carry topics."""

from __future__ import annotations

import hashlib

import numpy as np

from app.exams import irt, simulation
from app.exams.models import Attempt, ExamItem, ItemVersion
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
    """True (a, b) per item version, difficulty following the author's band."""
    return simulation.band_truth(items, seed)


def submitted_history(
    exam, truth: dict[int, tuple[float, float]], n_candidates: int, seed: int
) -> list[Attempt]:
    """A past sitting of `exam`: `n_candidates` candidates of ability ~ N(0, 1), each given a form
    by the platform's own assembly, answering as the true parameters say; all submitted."""
    return simulation.simulate_past_sitting(exam, truth, n_candidates, seed, make_agency().id)
