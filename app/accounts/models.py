"""Users, their roles and the candidate's qualifications profile."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum, nonmember

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class Role(StrEnum):
    CANDIDATE = "candidate"
    HR_OFFICER = "hr_officer"
    HR_APPROVER = "hr_approver"
    PANEL = "panel"
    PROCTOR = "proctor"
    ADMIN = "admin"
    # A partner organisation's account (MOU channel): acts for its organisation only
    # (app/partners).
    PARTNER = "partner"
    # Keeps the exam item bank (import, preview, retire) for every agency: the bank is shared
    # (app/exams/bank_pages.py, docs/exam_bank.md).
    BANK_MANAGER = "bank_manager"
    ALL = nonmember((CANDIDATE, HR_OFFICER, HR_APPROVER, PANEL, PROCTOR, ADMIN, PARTNER, BANK_MANAGER))
    # Roles that act for one agency and need user.agency_id.
    AGENCY_SCOPED = nonmember((HR_OFFICER, HR_APPROVER))


class EducationLevel(StrEnum):
    """Ordered: a round's minimum admits every level at or above it."""

    LOWER_SECONDARY = "lower_secondary"  # ม.3
    UPPER_SECONDARY = "upper_secondary"  # ม.6
    VOCATIONAL = "vocational"  # ปวช.
    HIGH_VOCATIONAL = "high_vocational"  # ปวส.
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"
    ORDER = nonmember(
        (LOWER_SECONDARY, UPPER_SECONDARY, VOCATIONAL, HIGH_VOCATIONAL, BACHELOR, MASTER, DOCTORATE)
    )
    # ปวช. counts as equivalent to ม.6 ("ม.6 หรือเทียบเท่า"), so the two share a rank.
    RANK = nonmember(
        {
            LOWER_SECONDARY: 0,
            UPPER_SECONDARY: 1,
            VOCATIONAL: 1,
            HIGH_VOCATIONAL: 2,
            BACHELOR: 3,
            MASTER: 4,
            DOCTORATE: 5,
        }
    )

    @classmethod
    def rank(cls, level: str | None) -> int:
        return cls.RANK.get(level, -1)


class EmploymentType(StrEnum):
    NONE = "none"
    BMA_TEMPORARY = "bma_temporary"  # ลูกจ้างชั่วคราว
    BMA_PERMANENT = "bma_permanent"  # ลูกจ้างประจำ
    BMA_CIVIL_SERVANT = "bma_civil_servant"
    ALL = nonmember((NONE, BMA_TEMPORARY, BMA_PERMANENT, BMA_CIVIL_SERVANT))
    INTERNAL = nonmember((BMA_TEMPORARY, BMA_PERMANENT))


def new_session_token() -> str:
    """A fresh value for User.session_token."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Staff accounts created by an administrator may have none; candidates always have one.
    national_id: Mapped[str | None] = mapped_column(String(13), unique=True)
    first_name_th: Mapped[str] = mapped_column(String(100))
    last_name_th: Mapped[str] = mapped_column(String(100))
    first_name_en: Mapped[str] = mapped_column(String(100), default="")
    last_name_en: Mapped[str] = mapped_column(String(100), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session's login id (app/accounts/sessions.py): a new value ends them all.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # When the owner proved the address (the link in the confirmation email); an unconfirmed
    # account cannot log in. Accounts made by an administrator count as confirmed (the
    # administrator vouches), as do the demo's and the test factories'.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(5), default="th")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    agency = relationship("Agency")
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="UserRole.user_id",
    )
    profile: Mapped[CandidateProfile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("length(national_id) = 13", name="national_id_length"),)

    def get_id(self) -> str:  # Flask-Login: "<id>:<session token>", see sessions.py
        return f"{self.id}:{self.session_token}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot log in
        return self.active

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def full_name_th(self) -> str:
        return f"{self.first_name_th} {self.last_name_th}"

    @property
    def full_name_en(self) -> str:
        return f"{self.first_name_en} {self.last_name_en}".strip()

    def display_name(self, locale: str = "th") -> str:
        if locale == "en" and self.full_name_en:
            return self.full_name_en
        return self.full_name_th

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),
        CheckConstraint(
            "role IN ('candidate','hr_officer','hr_approver','panel','proctor','admin','partner',"
            "'bank_manager')",
            name="role_known",
        ),
    )


class CandidateProfile(db.Model):
    """What eligibility is checked against; snapshotted into each application."""

    __tablename__ = "candidate_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    education_level: Mapped[str | None] = mapped_column(String(20))
    degree_name: Mapped[str] = mapped_column(String(200), default="")
    field_of_study: Mapped[str] = mapped_column(String(200), default="")
    institution: Mapped[str] = mapped_column(String(200), default="")
    gpa: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    graduation_date: Mapped[date | None] = mapped_column(Date)
    employment_type: Mapped[str] = mapped_column(String(20), default=EmploymentType.NONE)
    bma_service_start: Mapped[date | None] = mapped_column(Date)
    disability_card_no: Mapped[str] = mapped_column(String(30), default="")
    disability_type: Mapped[str] = mapped_column(String(50), default="")

    user: Mapped[User] = relationship(back_populates="profile")

    __table_args__ = (CheckConstraint("gpa IS NULL OR (gpa >= 0 AND gpa <= 4)", name="gpa_range"),)
