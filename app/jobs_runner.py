"""The scheduler: the periodic work of the platform, run EXACTLY ONCE per deployment.

`flask jobs run` (or `python -m app.jobs_runner`) is one process whose APScheduler runs:

- `exam-deadlines`, every second: auto-submit attempts at their deadline, send the minute
  warnings (`app.exams.jobs.tick`);
- `offer-expiry`, every minute: lapse merit-list offers past their reply date
  (`app.merit.offers.expire_offers`, skipped if that module is absent);
- `hold-expiry`, every minute: release seat holds past their deadline, tell the candidates and
  offer the seats to the waiting lists (`app.booking.jobs.expire_holds`);
- `outbox`, every 15 s: send the queued emails (`app.notifications.services.send_pending`);
- `background-jobs`, every second: run the queued background jobs (imports, bulk approvals,
  large exports: `app.background.services.run_queued`), each claimed once;
- `scholarship-reminders`, every hour: remind HR of scholars graduating, obligations ending and
  early departures (`app.scholarships.services.send_reminders`; each reminder is sent once).

Production runs them in `flask jobs run`, not in the web processes; `make run` and `make dev`
(JOBS_IN_WEB) run them inside their one web process. Either way only the holder of a lock runs
them: on PostgreSQL a session-level advisory lock (`pg_try_advisory_lock`) on a connection of
its own, on SQLite an exclusive lock (the `filelock` package) on a file beside the database. A
second scheduler, started by mistake or as a standby on another host, waits for the lock and
takes over when the first dies (the lock goes with its connection or process). If the lock
connection is lost (PostgreSQL restarted) the scheduler stops running jobs until it holds the
lock again. Each job is idempotent anyway
(conditional UPDATEs), so an overlap during a take-over cannot submit or send twice.

Its Socket.IO events (`time_up`, `warning`) reach candidates through the message queue
(SOCKETIO_MESSAGE_QUEUE): a scheduler without one can only reach its own (absent) clients.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
import filelock
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger("app.jobs")
# pg_try_advisory_lock(bigint): a fixed key of this application ("BMAJOBS" in ASCII).
LOCK_KEY = int.from_bytes(b"BMAJOBS", "big")


# ---- the lock ---------------------------------------------------------------------------------


class PostgresLock:
    """A session-level advisory lock on a dedicated connection (not from the app's pool)."""

    def __init__(self, url: str):
        self.engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.conn = None

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {LOCK_KEY}"

    def acquire(self) -> bool:
        self.release()
        try:
            self.conn = self.engine.connect()
            got = bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
        except Exception:
            log.warning("scheduler lock: database unreachable", exc_info=True)
            got = False
        if not got:
            self.release()
        return got

    def held(self) -> bool:
        """Still ours? The lock lives as long as its connection: check that connection."""
        if self.conn is None:
            return False
        try:
            self.conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("scheduler lock: its connection is gone; the lock is lost")
            self.release()
            return False

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            except Exception:
                pass
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None


class FileLock:
    """An exclusive lock on a file (SQLite: one host, several processes), taken without
    waiting; the operating system lets it go with the process, however it ends."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.lock = filelock.FileLock(self.path, timeout=0, thread_local=False)

    def describe(self) -> str:
        return f"file lock {self.path}"

    def acquire(self) -> bool:
        if self.lock.is_locked:
            return True
        try:
            self.lock.acquire()
        except filelock.Timeout:
            return False
        return True

    def held(self) -> bool:
        return self.lock.is_locked

    def release(self) -> None:
        if self.lock.is_locked:
            self.lock.release(force=True)


def lock_for(app: Flask):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        return PostgresLock(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["JOBS_LOCK_FILE"]:
        return FileLock(app.config["JOBS_LOCK_FILE"])
    database = url.database
    if database and database != ":memory:":
        return FileLock(f"{database}.jobs.lock")
    return FileLock(Path(app.instance_path) / "jobs.lock")


# ---- the jobs ---------------------------------------------------------------------------------


def _exam_deadlines():
    from .exams import jobs

    return jobs.tick()


def _optional(*candidates: str) -> Callable | None:
    """The first importable `module:function` of the list (a capability may not exist yet)."""
    for spec in candidates:
        module, _, name = spec.partition(":")
        try:
            fn = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if fn is not None:
            return fn
    return None


def _offer_expiry():
    fn = _optional("app.merit.offers:expire_offers")
    return fn() if fn else "skipped (no merit offers module)"


def _scholarship_reminders():
    fn = _optional("app.scholarships.services:send_reminders")
    return fn() if fn else "skipped (no scholarships module)"


def _video_rooms():
    from .interviews.video import sweep

    return sweep()


def _hold_expiry():
    from .booking import jobs

    return jobs.expire_holds()


def _background_jobs():
    from .background.services import run_queued

    return run_queued()


def _outbox():
    from .notifications.services import send_pending

    return send_pending(limit=200)


def _worth_logging(result) -> bool:
    if isinstance(result, dict):
        return any(v for v in result.values())
    return bool(result)


@dataclass
class Job:
    name: str
    every: float
    fn: Callable
    runs: int = 0
    failures: int = 0


def _apscheduler(app: Flask):
    """APScheduler's scheduler for this process: greenlets in a gevent web process
    (JOBS_IN_WEB under gunicorn), threads elsewhere. One run of a job at a time, and a run
    missed while the previous one lasted is skipped, not queued (coalesce)."""
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    # APScheduler logs every run of every job at INFO: the deadline sweep alone is a line a
    # second, which buries what matters. Its warnings and errors still show; our jobs log
    # what they do (submitted attempts, sent emails) themselves.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
    if app.config["SOCKETIO_ASYNC_MODE"] == "gevent":
        from apscheduler.schedulers.gevent import GeventScheduler

        return GeventScheduler(timezone=UTC, job_defaults=defaults)
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(timezone=UTC, job_defaults=defaults)


@dataclass
class Scheduler:
    """The jobs on APScheduler, run only while this process holds the deployment's lock.

    The loop in `run` is the leader election: it alone touches the lock (a database
    connection is not shared between threads), takes it when free, and pauses every job when
    it is lost; the jobs themselves only look at `leading`.
    """

    app: Flask
    jobs: list[Job] = field(default_factory=list)
    interval: float = 1.0
    wait: float = 2.0
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.lock = lock_for(self.app)
        self.leading = threading.Event()

    def _run_job(self, job: Job) -> None:
        if not self.leading.is_set():
            return
        try:
            with self.app.app_context():
                result = job.fn()
            job.runs += 1
            if _worth_logging(result):
                log.info("job %s: %s", job.name, result)
        except Exception:  # a failing job (a database blip) must not stop the others
            job.failures += 1
            log.exception("job %s failed", job.name)
            self._forget_session()

    def _forget_session(self):
        from .extensions import db

        try:
            with self.app.app_context():
                db.session.remove()
        except Exception:
            pass

    def _lead(self, scheduler) -> None:
        self.leading.set()
        log.info(
            "scheduler lock taken (%s); running jobs: %s",
            self.lock.describe(),
            ", ".join(f"{j.name} every {j.every:g}s" for j in self.jobs),
        )
        start = datetime.now(UTC)
        for job in self.jobs:  # each runs at once, then at its interval
            scheduler.modify_job(job.name, next_run_time=start)

    def _step_down(self, scheduler) -> None:
        self.leading.clear()
        for job in self.jobs:
            scheduler.pause_job(job.name)

    def run(self, max_seconds: float | None = None) -> None:
        end = time.monotonic() + max_seconds if max_seconds else None
        scheduler = _apscheduler(self.app)
        for job in self.jobs:  # added paused: they start when the lock is ours
            scheduler.add_job(
                self._run_job,
                "interval",
                seconds=job.every,
                args=[job],
                id=job.name,
                name=job.name,
                next_run_time=None,
            )
        scheduler.start()
        told_waiting = False
        try:
            while not self.stop.is_set() and (end is None or time.monotonic() < end):
                if self.leading.is_set() and not self.lock.held():
                    log.warning("scheduler lock lost; jobs paused until it is ours again")
                    self._step_down(scheduler)
                if not self.leading.is_set():
                    if self.lock.acquire():
                        told_waiting = False
                        self._lead(scheduler)
                    else:
                        if not told_waiting:
                            log.warning(
                                "another scheduler holds the %s; waiting (standby)", self.lock.describe()
                            )
                            told_waiting = True
                        self.stop.wait(
                            self.wait if end is None else max(0.0, min(self.wait, end - time.monotonic()))
                        )
                        continue
                self.stop.wait(
                    self.interval if end is None else max(0.0, min(self.interval, end - time.monotonic()))
                )
        finally:
            self.leading.clear()
            scheduler.shutdown(wait=True)
            self.lock.release()


def default_jobs(
    deadline_every: float = 1.0,
    offers_every: float = 60.0,
    outbox_every: float = 15.0,
    background_every: float = 1.0,
) -> list[Job]:
    return [
        Job("exam-deadlines", deadline_every, _exam_deadlines),
        Job("offer-expiry", offers_every, _offer_expiry),
        Job("hold-expiry", offers_every, _hold_expiry),
        Job("outbox", outbox_every, _outbox),
        Job("scholarship-reminders", 3600.0, _scholarship_reminders),
        Job("video-rooms", 60.0, _video_rooms),
        Job("background-jobs", background_every, _background_jobs),
    ]


def start_in_process(app: Flask) -> Scheduler:
    """The scheduler as a background task of a web process (JOBS_IN_WEB, `make run`): its
    `time_up` and warnings then reach this process's candidates without a message queue. It
    still takes the deployment's one lock, so a second such process only stands by."""
    from .extensions import socketio

    _configure_logging()
    scheduler = Scheduler(
        app, default_jobs(background_every=app.config["BACKGROUND_JOBS_EVERY_SECONDS"]), interval=1.0
    )
    socketio.start_background_task(scheduler.run)
    return scheduler


# ---- command line -------------------------------------------------------------------------

jobs_cli = AppGroup("jobs", help="The scheduler: deadlines, offer expiry, the email outbox.")


def _configure_logging():
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@jobs_cli.command("run")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between passes.")
@click.option("--offers-every", default=60.0, show_default=True)
@click.option("--outbox-every", default=15.0, show_default=True)
@click.option(
    "--max-seconds",
    type=float,
    default=None,
    help="Stop after this long (tests, one-off runs); default: run until stopped.",
)
def run_command(interval: float, offers_every: float, outbox_every: float, max_seconds: float | None):
    """Run the periodic jobs; only one scheduler per deployment runs them at a time."""
    from flask import current_app

    _configure_logging()
    app = current_app._get_current_object()
    if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
        log.warning(
            "no SOCKETIO_MESSAGE_QUEUE: time-up and warning events will not reach "
            "candidates connected to the web processes (they see them on reconnect)"
        )
    scheduler = Scheduler(
        app,
        default_jobs(interval, offers_every, outbox_every, app.config["BACKGROUND_JOBS_EVERY_SECONDS"]),
        interval=min(interval, 1.0),
    )

    def _stop(signum, _frame):
        log.info("scheduler stopping (signal %s)", signum)
        scheduler.stop.set()

    saved = {}
    if threading.current_thread() is threading.main_thread():
        saved = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.run(max_seconds)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    click.echo(
        "scheduler stopped: "
        + ", ".join(f"{j.name} ran {j.runs} (failed {j.failures})" for j in scheduler.jobs)
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m app.jobs_runner [--interval ...]`: the same as `flask jobs run`."""
    import sys

    from . import create_app

    app = create_app(os.environ.get("FLASK_CONFIG", "default"))
    with app.app_context():
        jobs_cli.main(
            args=["run", *(sys.argv[1:] if argv is None else argv)],
            prog_name="python -m app.jobs_runner",
            standalone_mode=True,
        )


if __name__ == "__main__":
    main()
