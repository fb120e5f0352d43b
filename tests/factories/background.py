"""Background jobs as the scheduler would find them: queued, not run (tests run jobs inline)."""

from __future__ import annotations

from app.background import services
from app.background.models import BackgroundJob
from app.extensions import db


def queued_job(kind: str, owner, params: dict, title: str = "A job") -> BackgroundJob:
    if not services.registered(kind):
        raise ValueError(kind)
    job = BackgroundJob(kind=kind, params=params, title=title, owner_id=owner.id, locale="en")
    db.session.add(job)
    db.session.commit()
    return job
