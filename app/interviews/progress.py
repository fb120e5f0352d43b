"""What the interviews tell the lists' gates about Part C (scores.stage_progress): which
applications' interviews are still open (scheduled, confirmed, checked in, being scored) and
which candidates were recorded as no-show."""

from __future__ import annotations

from sqlalchemy import select

from ..applications.models import Application
from ..extensions import db
from ..recruitment.models import StageKind
from ..scores.progress import stage_progress
from .models import Interview

# Interviews still to come or being scored: their Part C score is not final yet.
OPEN = ("scheduled", "confirmed", "checked_in", "scoring")


@stage_progress.connect
def part_c_progress(round_, *, stage_kind: str) -> dict | None:
    if stage_kind != StageKind.PART_C:
        return None
    rows = db.session.execute(
        select(Interview.application_id, Interview.status)
        .join(Application, Application.id == Interview.application_id)
        .where(Application.round_id == round_.id)
    ).all()
    return {"open": {a for a, s in rows if s in OPEN}, "absent": {a for a, s in rows if s == "no_show"}}
