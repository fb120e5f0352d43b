"""Exam bank items (versioned), exam blueprints, sittings, seats, attempts and answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class ExamItem(db.Model):
    """A question of a bank; its text and key live in versions, never edited in place."""

    __tablename__ = "exam_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60), index=True)
    code: Mapped[str] = mapped_column(String(40))
    section: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(60), default="")
    difficulty: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the item came from, as its source names it ("qti pkg.zip resource R1", "gift a.gift
    # ::Title::", "yaml analytical.yaml AN-001"): new content for the code is a new version only
    # from the same origin (bank_import.py). Empty for items imported before origins were kept.
    origin: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Retired by a bank manager (with the reason): new forms no longer draw it (active false);
    # forms already drawn keep it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired_reason: Mapped[str] = mapped_column(Text, default="")

    versions: Mapped[list[ItemVersion]] = relationship(back_populates="item", order_by="ItemVersion.version")

    @property
    def current_version(self) -> ItemVersion | None:
        """The newest version is the one new forms draw."""
        return self.versions[-1] if self.versions else None

    __table_args__ = (
        UniqueConstraint("bank", "code", name="uq_exam_items_bank_code"),
        CheckConstraint("difficulty IN ('easy','medium','hard')", name="difficulty_known"),
    )


class ItemVersion(db.Model):
    """The exact text, choices and key a candidate saw; a used version is never changed."""

    __tablename__ = "item_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("exam_items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    stem_th: Mapped[str] = mapped_column(Text, default="")
    stem_en: Mapped[str] = mapped_column(Text, default="")
    # single | multiple | true_false | numeric | text (item_types.py)
    item_type: Mapped[str] = mapped_column(String(20), default="single", server_default="single")
    # [{"id": "a", "th": "...", "en": "..."}, ...] in the author's order ([] for numeric, text)
    choices: Mapped[list] = mapped_column(JSON)
    # Per type (item_types.py): "b"; ["a", "c"]; [{"value": "3.14", "tolerance": "0.01"}]; ["..."]
    key: Mapped[object] = mapped_column(JSON)
    fixed_order: Mapped[bool] = mapped_column(Boolean, default=False)
    # Multiple response: how many choices a candidate may choose (QTI minChoices/maxChoices);
    # None is no limit. The test page says so and the `answer` event refuses more than max.
    min_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    explanation_th: Mapped[str] = mapped_column(Text, default="")
    explanation_en: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    item: Mapped[ExamItem] = relationship(back_populates="versions")
    assets: Mapped[list[ItemAsset]] = relationship(back_populates="version", order_by="ItemAsset.name")

    __table_args__ = (
        UniqueConstraint("item_id", "version", name="uq_item_versions_item_version"),
        CheckConstraint(
            "item_type IN ('single','multiple','true_false','numeric','text')", name="item_type_known"
        ),
        CheckConstraint(
            "(min_choices IS NULL OR min_choices >= 1) AND (max_choices IS NULL OR max_choices >= 1)"
            " AND (min_choices IS NULL OR max_choices IS NULL OR min_choices <= max_choices)",
            name="choice_limits_sane",
        ),
    )


class ItemAsset(db.Model):
    """An image or audio file an item version shows, kept with it in the bank: the bytes are in
    the upload storage outside static/ (stored under their SHA-256, so one file used by many
    versions is kept once), served only to whom app/exams/media.py allows."""

    __tablename__ = "item_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # as the item's text names it
    content_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    version: Mapped[ItemVersion] = relationship(back_populates="assets")

    __table_args__ = (
        UniqueConstraint("item_version_id", "name", name="uq_item_assets_version_name"),
        CheckConstraint("size > 0", name="size_positive"),
    )


class Exam(db.Model):
    """An exam blueprint: sections, draw per difficulty band, points, time, pass mark, policy."""

    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    bank: Mapped[str] = mapped_column(String(60))
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    pass_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("60"))
    results_policy: Mapped[str] = mapped_column(String(20), default="after_publication")
    shuffle_items: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_choices: Mapped[bool] = mapped_column(Boolean, default=True)
    # How a multiple-response item scores: all_or_nothing, or partial credit (item_types.credit)
    multiple_scoring: Mapped[str] = mapped_column(
        String(20), default="all_or_nothing", server_default="all_or_nothing"
    )
    # [{"code", "title": {"th", "en"}, "points_per_item", "time_limit_minutes", "draw": {band: n}}]
    sections: Mapped[list] = mapped_column(JSON)
    is_part_a: Mapped[bool] = mapped_column(Boolean, default=True)
    # Largest difference in expected score (points) allowed between its parallel forms;
    # None: PARALLEL_FORMS_TOLERANCE (app/exams/parallel_forms.py).
    form_tolerance: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("results_policy IN ('immediate','after_publication')", name="policy_known"),
        CheckConstraint("multiple_scoring IN ('all_or_nothing','partial')", name="multiple_scoring_known"),
    )

    def title(self, locale: str = "th") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_th


class Sitting(db.Model):
    """One scheduled session of an exam for a set of candidates."""

    __tablename__ = "sittings"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    timing_mode: Mapped[str] = mapped_column(String(20))  # synchronized | window
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # window mode: candidates may start until this moment (each gets the full duration)
    window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # synchronized mode: late entry allowed this many minutes after the start (no extra time)
    late_entry_minutes: Mapped[int] = mapped_column(Integer, default=30)
    checkin_opens_minutes: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Exams whose results wait for HR: candidates see them from this moment.
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    exam: Mapped[Exam] = relationship()
    round = relationship("Round")
    agency = relationship("Agency")
    seats: Mapped[list[Seat]] = relationship(back_populates="sitting", order_by="Seat.id")

    __table_args__ = (
        CheckConstraint("timing_mode IN ('synchronized','window')", name="timing_mode_known"),
        CheckConstraint("status IN ('scheduled','started','paused','ended')", name="status_known"),
        CheckConstraint("late_entry_minutes >= 0", name="late_entry_non_negative"),
        CheckConstraint("checkin_opens_minutes >= 0", name="checkin_non_negative"),
    )

    def title(self, locale: str = "th") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_th


class Seat(db.Model):
    """A candidate's place in a sitting: room, seat, accommodations, check-in."""

    __tablename__ = "seats"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    room: Mapped[str] = mapped_column(String(40), default="")
    seat_number: Mapped[str] = mapped_column(String(20), default="")
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    large_text: Mapped[bool] = mapped_column(Boolean, default=False)
    high_contrast: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    system_check: Mapped[dict | None] = mapped_column(JSON)

    sitting: Mapped[Sitting] = relationship(back_populates="seats")
    candidate = relationship("User")
    application = relationship("Application")
    attempt: Mapped[Attempt | None] = relationship(back_populates="seat", uselist=False)

    __table_args__ = (
        UniqueConstraint("sitting_id", "candidate_id", name="uq_seats_sitting_candidate"),
        CheckConstraint("extra_time_percent BETWEEN 0 AND 200", name="extra_time_range"),
    )


class Attempt(db.Model):
    """A candidate's form and its timing; answers are rows of AttemptAnswer."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"), unique=True)
    form_seed: Mapped[int] = mapped_column(Integer)
    # [{"version_id": 12, "section": "analytical", "choice_order": ["c", "a", "d", "b"]}, ...]
    form: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    extension_seconds: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(20), default="")
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    section_scores: Mapped[dict | None] = mapped_column(JSON)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    focus_losses: Mapped[int] = mapped_column(Integer, default=0)
    # Sections with their own time limit: when the candidate first opened each one.
    section_started: Mapped[dict] = mapped_column(JSON, default=dict)
    # The one live connection of this attempt (a newer one supersedes it).
    live_sid: Mapped[str | None] = mapped_column(String(64))
    # When the live connection last joined or left: with no live connection, "disconnected since".
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds the candidate lost while disconnected (their side) that no proctor gave back yet.
    lost_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds given back automatically because the platform could not serve (app/exams/outages.py).
    outage_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # How many questions the form has, when a query counted them in the database
    # (proctoring.rows_for: the proctors' rows without reading every form); None otherwise.
    item_count: Mapped[int | None] = query_expression()

    seat: Mapped[Seat] = relationship(back_populates="attempt")
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", order_by="AttemptAnswer.index"
    )

    __table_args__ = (
        CheckConstraint("status IN ('not_started','in_progress','submitted')", name="status_known"),
        CheckConstraint("submitted_by IN ('','candidate','deadline','proctor')", name="submitted_by_known"),
    )


class AttemptAnswer(db.Model):
    """The latest answer to one question of an attempt; a higher seq replaces a lower one."""

    __tablename__ = "attempt_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    # The answer in its type's canonical form (item_types.py): a choice id, ids joined by
    # commas, a number, a text; None = answer cleared.
    choice: Mapped[str | None] = mapped_column(String(400))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # The client's counter, 1 .. 2**53-1 (docs/realtime.md): 64-bit, clients use Date.now().
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    __table_args__ = (
        UniqueConstraint("attempt_id", "index", name="uq_attempt_answers_attempt_index"),
        CheckConstraint('"index" >= 0', name="index_non_negative"),
    )


class ServerHeartbeat(db.Model):
    """One row per serving process: it writes `beat_at` every HEARTBEAT_SECONDS while it can
    reach the database. A gap in the newest beat is time the platform could not serve."""

    __tablename__ = "server_heartbeats"

    process: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:started
    kind: Mapped[str] = mapped_column(String(20), default="web")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class Outage(db.Model):
    """A time the platform could not serve (no live process, or no database) for longer than
    OUTAGE_THRESHOLD_SECONDS; the attempts under way were given its length back, once."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The last beat before the gap: unique, so that several processes seeing the same gap
    # give the time back once.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, unique=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(Integer)
    attempts_changed: Mapped[int] = mapped_column(Integer, default=0)
    detected_by: Mapped[str] = mapped_column(String(120), default="")

    __table_args__ = (CheckConstraint("seconds > 0", name="seconds_positive"),)


class Announcement(db.Model):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Certificate(db.Model):
    """A Part A pass certificate, verifiable in public by its code."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    attempt: Mapped[Attempt] = relationship()
    candidate = relationship("User")


class SittingProctor(db.Model):
    """A proctor assigned to a sitting by HR of the sitting's agency: proctors act only on the
    sittings they are assigned to (proctoring.can_proctor)."""

    __tablename__ = "sitting_proctors"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("sitting_id", "user_id", name="uq_sitting_proctors_sitting_user"),)
