"""Submitting and scoring: by the candidate, the proctor or the deadline; results and their
publication."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..audit.services import record
from ..common.clock import now
from ..common.errors import DomainError, NotAllowed
from ..extensions import db
from . import certificates, item_types
from .assembly import is_scored
from .errors import NotStarted
from .models import Attempt, ItemVersion, Seat, Sitting
from .sitting_control import need_reason

log = logging.getLogger(__name__)


def score(attempt: Attempt) -> tuple[Decimal, Decimal, dict]:
    """Points per section and in total, from the versions the candidate actually saw (pretest
    items left out).

    Each item earns its section's points times its credit (item_types.credit: 1 or 0, or a
    share for a multiple-response item when the exam gives partial credit); `correct` counts
    the items fully right."""
    exam = attempt.seat.sitting.exam
    points = {s["code"]: Decimal(str(s.get("points_per_item", 1))) for s in exam.sections}
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(ItemVersion).where(ItemVersion.id.in_([q["version_id"] for q in attempt.form]))
        )
    }
    given = {a.index: a.choice for a in attempt.answers}
    sections = {
        s["code"]: {"score": Decimal(0), "max": Decimal(0), "correct": 0, "items": 0} for s in exam.sections
    }
    for index, entry in enumerate(attempt.form):
        if not is_scored(entry):
            continue
        sec = sections[entry["section"]]
        sec["max"] += points[entry["section"]]
        sec["items"] += 1
        version = versions[entry["version_id"]]
        earned = item_types.credit(version.item_type, version.key, given.get(index), exam.multiple_scoring)
        sec["score"] += (points[entry["section"]] * earned).quantize(Decimal("0.01"))
        sec["correct"] += earned == 1
    total = sum((s["score"] for s in sections.values()), Decimal(0))
    maximum = sum((s["max"] for s in sections.values()), Decimal(0))
    return (
        total,
        maximum,
        {k: {**v, "score": str(v["score"]), "max": str(v["max"])} for k, v in sections.items()},
    )


def submit(attempt: Attempt, by: str, actor=None, at: datetime | None = None, reason: str = "") -> Attempt:
    """Close the attempt and score it; idempotent (a second submit changes nothing)."""
    at = at or now()
    if by == "proctor":
        need_reason(reason)
    if attempt.status == "submitted":
        return attempt
    if attempt.status == "not_started" and by == "candidate":
        raise NotStarted(_("The test has not started yet."))
    finished = at if attempt.deadline is None or by == "proctor" else min(at, attempt.deadline)
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status != "submitted")
        .values(status="submitted", submitted_at=finished, submitted_by=by)
    ).rowcount
    if not claimed:  # someone else (the deadline sweeper, another device) got there first
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    db.session.flush()
    db.session.refresh(attempt)
    total, maximum, sections = score(attempt)
    exam = attempt.seat.sitting.exam
    attempt.score, attempt.max_score, attempt.section_scores = total, maximum, sections
    attempt.passed = maximum > 0 and total * 100 >= maximum * exam.pass_percent
    record(
        "attempt.submit",
        attempt,
        actor=actor if actor is not None else (attempt.seat.candidate_id if by == "candidate" else None),
        after={
            "by": by,
            "submitted_at": finished,
            "score": total,
            "max": maximum,
            "passed": attempt.passed,
            "reason": reason,
        },
    )
    db.session.commit()
    try:
        certificates.issue_if_passed(attempt)
    except DomainError:  # a certificate problem must never undo a submitted test
        db.session.rollback()
        log.exception("certificate not issued for attempt %s", attempt.id)
    return attempt


def submit_due(at: datetime | None = None) -> list[int]:
    """Submit every attempt whose deadline has passed, connected or not; safe to repeat."""
    at = at or now()
    due = list(
        db.session.scalars(
            select(Attempt)
            .join(Seat)
            .join(Sitting)
            .where(Attempt.status == "in_progress", Attempt.deadline <= at, Sitting.status != "paused")
        )
    )
    for attempt in due:
        submit(attempt, "deadline", at=at)
    return [a.id for a in due]


def results_visible(attempt: Attempt) -> bool:
    """At once under the "immediate" policy, else once HR has published the sitting's results."""
    sitting = attempt.seat.sitting
    return attempt.status == "submitted" and (
        sitting.exam.results_policy == "immediate" or sitting.results_published_at is not None
    )


def publish_consequence(sitting: Sitting, submitted: int) -> str:
    """What publishing a sitting's results does, said before HR confirms it."""
    text = _(
        "The results of %(sitting)s will be shown to its %(n)s candidates who submitted, each on "
        "their own page. Published results cannot be taken back.",
        sitting=sitting.title("th"),
        n=submitted,
    )
    if sitting.exam.is_part_a:
        text += " " + _("Those who passed are issued their Part A certificates at the same time.")
    return text


def publish_results(sitting: Sitting, actor) -> Sitting:
    """HR releases the results (and with them the pass certificates) to the candidates."""
    if sitting.results_published_at is not None:
        raise NotAllowed(_("The results of this sitting are already published."))
    pending = db.session.scalar(
        select(Attempt.id)
        .join(Seat)
        .where(Seat.sitting_id == sitting.id, Attempt.status == "in_progress")
        .limit(1)
    )
    if pending is not None:
        raise NotAllowed(_("Some candidates are still taking the test; publish when all have submitted."))
    sitting.results_published_at, sitting.results_published_by_id = now(), actor.id
    record(
        "sitting.publish_results", sitting, actor=actor, after={"published_at": sitting.results_published_at}
    )
    db.session.commit()
    return sitting
