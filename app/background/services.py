"""Running long work in the background: a capability registers a kind of job (a plain function),
a view submits one with its arguments, and the job runs

- at once, in the request, when JOBS_RUN_INLINE (the tests: the result is there when the view
  answers);
- otherwise in the scheduler (app/jobs_runner.py, job `background-jobs`): in the web process
  when JOBS_IN_WEB (`make run`, a greenlet), or in `flask jobs run` (production). A queued job
  is claimed with a conditional UPDATE, so two schedulers never run it twice.

The job function is `fn(progress, **params)`: it tells how far it has got with
`progress(done, total, message)` and returns an `Outcome` (a summary, plain data, at most one
file). A DomainError it raises is the job's error, shown to its owner as it reads; anything else
is logged and the owner reads that the job failed. Progress is written on a connection of its
own, so that the page that polls sees it while the work goes on: report it between batches, not
while holding uncommitted writes (SQLite has one writer at a time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..common.clock import now
from ..common.errors import DomainError, Forbidden, NotFound
from ..extensions import db
from .models import BackgroundJob, JobStatus

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    summary: str = ""
    data: dict = field(default_factory=dict)
    file_name: str = ""
    file_type: str = ""
    file_data: bytes | None = None


_KINDS: dict[str, Callable] = {}
_RESULT_LINKS: dict[str, Callable] = {}


def register(kind: str, fn: Callable) -> None:
    """Make `fn(progress, **params) -> Outcome` runnable as the job kind `kind`."""
    _KINDS[kind] = fn


def register_result_link(kind: str, fn: Callable) -> None:
    """Where a finished job of `kind` leads (the list it prepared): `fn(result data)` answers
    (url, label) or None. Given by the capability's views, which build links."""
    _RESULT_LINKS[kind] = fn


def result_link(job: BackgroundJob) -> tuple[str, str] | None:
    """Where a finished job leads: its kind's registered link, else the `next_url` and
    `next_label` the job itself kept (written in its owner's language, like its summary)."""
    if job.status != JobStatus.DONE:
        return None
    data = job.result or {}
    fn = _RESULT_LINKS.get(job.kind)
    if fn is not None:
        return fn(data)
    if data.get("next_url"):
        return data["next_url"], data.get("next_label") or data["next_url"]
    return None


def registered(kind: str) -> bool:
    return kind in _KINDS


# ---- submitting ---------------------------------------------------------------------------


def submit(
    kind: str, owner, params: dict, title: str, return_to: str = "", locale: str = "th"
) -> BackgroundJob:
    """Queue a job for `owner` (committed at once, so the progress page can show it), and run it
    now when JOBS_RUN_INLINE. Its summary and error are written in `locale` (the owner's
    language when they started it)."""
    if kind not in _KINDS:
        raise ValueError(f"no job kind {kind!r} is registered")
    job = BackgroundJob(
        kind=kind,
        params=params,
        title=title[:300],
        owner_id=getattr(owner, "id", None),
        return_to=return_to[:500],
        locale=locale,
        status=JobStatus.QUEUED,
    )
    db.session.add(job)
    db.session.commit()
    if current_app.config["JOBS_RUN_INLINE"]:
        run(job.id)
        db.session.refresh(job)
    return job


# ---- running ------------------------------------------------------------------------------


class Progress:
    """What a running job calls to say how far it has got; written on its own short
    transaction so a poll sees it at once."""

    def __init__(self, job_id: int):
        self.job_id = job_id

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        values: dict = {"done": max(0, int(done))}
        if total is not None:
            values["total"] = max(0, int(total))
        if message is not None:
            values["message"] = message
        with db.engine.begin() as conn:
            conn.execute(update(BackgroundJob).where(BackgroundJob.id == self.job_id).values(**values))


def _claim(job_id: int) -> bool:
    claimed = db.session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def run(job_id: int) -> BackgroundJob | None:
    """Claim a queued job and run it to its end (done or failed). None if someone else has it."""
    if not _claim(job_id):
        return None
    job = db.session.get(BackgroundJob, job_id)
    fn = _KINDS.get(job.kind)
    kind, params = job.kind, dict(job.params or {})
    with force_locale(job.locale or "th"):
        try:
            if fn is None:
                raise DomainError(_("This kind of job is not known to this server."))
            outcome = fn(Progress(job_id), **params) or Outcome()
        except DomainError as err:
            db.session.rollback()
            return _finish(job_id, JobStatus.FAILED, error=err.message)
        except Exception:
            db.session.rollback()
            log.exception("background job %s (%s) failed", job_id, kind)
            return _finish(
                job_id, JobStatus.FAILED, error=_("The job failed because of an error on the server.")
            )
    return _finish(job_id, JobStatus.DONE, outcome=outcome)


def _finish(job_id: int, status: str, outcome: Outcome | None = None, error: str = "") -> BackgroundJob:
    job = db.session.get(BackgroundJob, job_id)
    job.status, job.finished_at, job.error = status, now(), error
    if outcome is not None:
        job.summary, job.result = outcome.summary, outcome.data
        job.file_name, job.file_type, job.file_data = outcome.file_name, outcome.file_type, outcome.file_data
        job.done = max(job.done, job.total)
    db.session.commit()
    return job


def fail_interrupted() -> list[int]:
    """Jobs still "running" long after they started were cut off (their process ended): say so,
    rather than leave their owner watching a bar that never moves."""
    limit = now() - timedelta(minutes=current_app.config["BACKGROUND_JOB_STALE_MINUTES"])
    ids = list(
        db.session.scalars(
            select(BackgroundJob.id).where(
                BackgroundJob.status == JobStatus.RUNNING, BackgroundJob.started_at < limit
            )
        )
    )
    for job_id in ids:
        job = db.session.get(BackgroundJob, job_id)
        with force_locale(job.locale or "th"):
            job.error = _("The job was interrupted (the server restarted). Start it again.")
        job.status, job.finished_at = JobStatus.FAILED, now()
    db.session.commit()
    return ids


def run_queued(limit: int = 5) -> dict:
    """The scheduler's pass: run up to `limit` queued jobs, oldest first (and close the jobs an
    ended process left running)."""
    interrupted = fail_interrupted()
    ids = list(
        db.session.scalars(
            select(BackgroundJob.id)
            .where(BackgroundJob.status == JobStatus.QUEUED)
            .order_by(BackgroundJob.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    ran = [job_id for job_id in ids if run(job_id) is not None]
    db.session.remove()
    return {"ran": ran, "interrupted": interrupted} if interrupted else {"ran": ran}


# ---- reading -------------------------------------------------------------------------------


def job_for(job_id: int, user) -> BackgroundJob:
    """The job, if `user` started it (nobody else sees another's results)."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None:
        raise NotFound(_("No such job."))
    if job.owner_id is None or job.owner_id != getattr(user, "id", None):
        raise Forbidden(_("This job was started by someone else."))
    return job


def state_of(job: BackgroundJob) -> dict:
    """What the progress page polls: plain JSON."""
    return {
        "id": job.id,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "finished": job.finished,
        "summary": job.summary,
        "error": job.error,
        "has_file": bool(job.file_name),
    }


def file_of(job: BackgroundJob) -> tuple[str, str, bytes]:
    if job.status != JobStatus.DONE or not job.file_name:
        raise NotFound(_("This job has no file to download."))
    return job.file_name, job.file_type, job.file_data or b""
