"""Panels and their members, rubrics, interview slots and bookings, conflicts of interest,
members' scores and the finalized Part C score."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class Panel(db.Model):
    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quorum: Mapped[int] = mapped_column(Integer, default=3)
    aggregate: Mapped[str] = mapped_column(String(10), default="mean")  # mean | median
    # Members' totals further apart than this (in points of the rubric) are flagged to the chair.
    spread_threshold: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("15"))
    mode: Mapped[str] = mapped_column(String(10), default="online")  # online | onsite
    meeting_link: Mapped[str] = mapped_column(String(500), default="")
    room: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    round = relationship("Round")
    members: Mapped[list[PanelMember]] = relationship(back_populates="panel", order_by="PanelMember.id")

    __table_args__ = (
        CheckConstraint("quorum >= 1", name="quorum_positive"),
        CheckConstraint("aggregate IN ('mean','median')", name="aggregate_known"),
        CheckConstraint("mode IN ('online','onsite')", name="mode_known"),
    )


class PanelMember(db.Model):
    __tablename__ = "panel_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")  # chair | member

    panel: Mapped[Panel] = relationship(back_populates="members")
    user = relationship("User")

    __table_args__ = (
        UniqueConstraint("panel_id", "user_id", name="uq_panel_members_panel_user"),
        CheckConstraint("role IN ('chair','member')", name="role_known"),
    )


class Rubric(db.Model):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="rubric", order_by="RubricCriterion.seq", cascade="all, delete-orphan"
    )


class RubricCriterion(db.Model):
    __tablename__ = "rubric_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    title_th: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    # [{"points": 20, "th": "...", "en": "..."}, ...] what each level looks like
    descriptors: Mapped[list] = mapped_column(JSON, default=list)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    __table_args__ = (
        UniqueConstraint("rubric_id", "code", name="uq_rubric_criteria_rubric_code"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
    )


class InterviewSlot(db.Model):
    __tablename__ = "interview_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(10), default="online")
    meeting_link: Mapped[str] = mapped_column(String(500), default="")
    room: Mapped[str] = mapped_column(String(200), default="")
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    panel: Mapped[Panel] = relationship()
    interview: Mapped[Interview | None] = relationship(back_populates="slot", uselist=False)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="slot_order"),
        CheckConstraint("mode IN ('online','onsite')", name="mode_known"),
    )


class Unavailability(db.Model):
    """Times a candidate declared they cannot attend."""

    __tablename__ = "unavailabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="unavailability_order"),)


class Interview(db.Model):
    """A candidate's booking of one slot, and the Part C score that comes out of it.

    The unique slot_id means two candidates can never hold the same slot, whatever races.
    """

    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("interview_slots.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moves: Mapped[int] = mapped_column(Integer, default=0)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))  # on the stage's scale
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the panel's chair declares a conflict for this candidate, HR names a scoring member
    # to preside over this interview in the chair's place (chairing.name_acting_chair).
    acting_chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    application = relationship("Application")
    slot: Mapped[InterviewSlot] = relationship(back_populates="interview")
    acting_chair = relationship("User", foreign_keys=[acting_chair_id])

    __table_args__ = (
        CheckConstraint(
            "status IN ('scheduled','confirmed','checked_in','scoring','finalized','no_show','cancelled')",
            name="status_known",
        ),
    )


class ConflictDeclaration(db.Model):
    """A member's declaration, before scoring a candidate, of any conflict of interest."""

    __tablename__ = "conflict_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    has_conflict: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("interview_id", "user_id", name="uq_conflict_declarations_iv_user"),)


class Substitute(db.Model):
    """A member the chair names for one interview when recusals leave the panel short."""

    __tablename__ = "interview_substitutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    named_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("interview_id", "user_id", name="uq_interview_substitutes_iv_user"),)


class CriterionScore(db.Model):
    """One member's points on one criterion; a higher seq replaces a lower (like exam answers)."""

    __tablename__ = "criterion_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id"))
    points: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        UniqueConstraint(
            "interview_id", "user_id", "criterion_id", name="uq_criterion_scores_iv_user_criterion"
        ),
    )


class MemberSubmission(db.Model):
    """A member has submitted their scores for an interview: they no longer change."""

    __tablename__ = "member_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    total: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("interview_id", "user_id", name="uq_member_submissions_iv_user"),)


class VideoRoom(db.Model):
    """An interview's room on the media server (docs/video.md): open from shortly before the
    slot until the interview is finalized or cancelled; where the candidate is (absent, in the
    lobby, admitted by the chair, connection ended by the chair)."""

    __tablename__ = "video_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), unique=True)
    # The room's id on Janus (string ids) and its secret (destroy, allowed, kick): never sent out.
    room: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    candidate_state: Mapped[str] = mapped_column(String(10), default="absent")
    lobby_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recorded (the agency records its online interviews): Janus writes the streams; after the
    # room closes they are converted once (processed_at) into InterviewRecording files.
    recording: Mapped[bool] = mapped_column(Boolean, default=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    interview: Mapped[Interview] = relationship()
    passes: Mapped[list[VideoPass]] = relationship(back_populates="room", order_by="VideoPass.id")

    __table_args__ = (
        CheckConstraint(
            "candidate_state IN ('absent','lobby','admitted','ended')", name="candidate_state_known"
        ),
    )


class VideoPass(db.Model):
    """One person's credential for one room: a Janus token of their own, added to the room's
    allowed list while they may be in it and revoked when the room closes."""

    __tablename__ = "video_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("video_rooms.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(10))  # candidate | chair | member
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The candidate's consent to a recorded interview, given before entering.
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    room: Mapped[VideoRoom] = relationship(back_populates="passes")

    __table_args__ = (
        UniqueConstraint("room_id", "user_id", name="uq_video_passes_room_user"),
        CheckConstraint("role IN ('candidate','chair','member')", name="role_known"),
    )


class InterviewRecording(db.Model):
    """One recorded stream of an interview (a participant's audio or video), kept until
    delete_after; only the round's HR and the panel may fetch it (docs/video.md)."""

    __tablename__ = "interview_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # video | audio
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("kind IN ('video','audio')", name="kind_known"),)
