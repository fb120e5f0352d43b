"""A background job: what was asked, by whom, how far it has got, and what came of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, nonmember

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ALL = nonmember((QUEUED, RUNNING, DONE, FAILED))


class BackgroundJob(db.Model):
    __tablename__ = "background_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registered kind of work ("scores.import_csv"), and its plain-data arguments.
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    title: Mapped[str] = mapped_column(String(300), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED, index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    # The owner's language when they started it: the summary and error are written in it.
    locale: Mapped[str] = mapped_column(String(5), default="th")
    # Where the person goes back to (the page that started the job), given by the view.
    return_to: Mapped[str] = mapped_column(String(500), default="")
    # What came of it: a summary in the owner's language, plain data, and at most one file.
    summary: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    file_type: Mapped[str] = mapped_column(String(100), default="")
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status_known"),
        CheckConstraint("done >= 0 AND total >= 0", name="progress_non_negative"),
    )

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        """How far, 0–100; None while the size of the work is not known yet."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
