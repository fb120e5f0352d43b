"""Partner organisations, their agreements with a BMA agency (MOU), the rounds opened under an
agreement and the partner's nominations to those rounds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class OrganisationKind:
    UNIVERSITY = "university"
    HOSPITAL = "hospital"
    PUBLIC_BODY = "public_body"
    OTHER = "other"
    ALL = (UNIVERSITY, HOSPITAL, PUBLIC_BODY, OTHER)


class AgreementStatus:
    ACTIVE = "active"
    TERMINATED = "terminated"
    ALL = (ACTIVE, TERMINATED)


class NominationStatus:
    INVITED = "invited"  # the nominee has not answered yet
    ACCEPTED = "accepted"  # consent given: the nominee may apply to the round
    DECLINED = "declined"  # the nominee said no
    WITHDRAWN = "withdrawn"  # the partner took the nomination back
    ALL = (INVITED, ACCEPTED, DECLINED, WITHDRAWN)
    # Nominations that hold one of the agreement's places for the year.
    HOLDING = (INVITED, ACCEPTED)


class PartnerOrganisation(db.Model):
    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_th: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.OTHER)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        CheckConstraint("kind IN ('university','hospital','public_body','other')", name="kind_known"),
    )

    def name(self, locale: str = "th") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_th


class PartnerMember(db.Model):
    """A partner account's organisation: the one scope in which it may act."""

    __tablename__ = "partner_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("partner_organisations.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user = relationship("User", foreign_keys=[user_id])
    organisation: Mapped[PartnerOrganisation] = relationship()


agreement_positions = db.Table(
    "agreement_positions",
    db.Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    db.Column("position_id", ForeignKey("positions.id"), primary_key=True),
)


class Agreement(db.Model):
    """An MOU between a BMA agency and a partner: positions, places per year, qualifications,
    period of validity and the selection stages of the rounds opened under it."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)  # เลขที่บันทึกข้อตกลง
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("partner_organisations.id"), index=True)
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    places_per_year: Mapped[int] = mapped_column(Integer)
    qualifications_th: Mapped[str] = mapped_column(Text, default="")
    qualifications_en: Mapped[str] = mapped_column(Text, default="")
    min_education_level: Mapped[str | None] = mapped_column(String(20))
    fields_of_study: Mapped[list] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # The stage kinds of a round opened under the agreement, in order, e.g.
    # ["qualifications", "part_c"].
    stages: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.ACTIVE)
    termination_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    agency = relationship("Agency")
    organisation: Mapped[PartnerOrganisation] = relationship()
    positions = relationship(
        "Position", secondary=agreement_positions, lazy="selectin", order_by="Position.id"
    )

    __table_args__ = (
        CheckConstraint("places_per_year > 0", name="places_positive"),
        CheckConstraint("valid_until >= valid_from", name="validity_order"),
        CheckConstraint("status IN ('active','terminated')", name="status_known"),
    )

    def title(self, locale: str = "th") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_th


class AgreementRound(db.Model):
    """A recruitment round opened under an agreement: only its nominees may apply."""

    __tablename__ = "agreement_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    # The Thai fiscal year (Buddhist Era, October to September) whose places the round uses.
    fiscal_year: Mapped[int] = mapped_column(Integer)

    round = relationship("Round")
    agreement: Mapped[Agreement] = relationship()


class Nomination(db.Model):
    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    national_id: Mapped[str] = mapped_column(String(13))
    email: Mapped[str] = mapped_column(String(254))
    first_name_th: Mapped[str] = mapped_column(String(100))
    last_name_th: Mapped[str] = mapped_column(String(100))
    first_name_en: Mapped[str] = mapped_column(String(100), default="")
    last_name_en: Mapped[str] = mapped_column(String(100), default="")
    # Why the partner puts this person forward (published with nothing else: it is for HR).
    statement: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=NominationStatus.INVITED)
    # SHA-256 of the invitation token sent by email; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    nominated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    agreement: Mapped[Agreement] = relationship()
    round = relationship("Round")
    nominated_by = relationship("User", foreign_keys=[nominated_by_id])
    candidate = relationship("User", foreign_keys=[candidate_id])

    __table_args__ = (
        UniqueConstraint("round_id", "national_id", name="uq_nominations_round_national_id"),
        CheckConstraint("status IN ('invited','accepted','declined','withdrawn')", name="status_known"),
        CheckConstraint("length(national_id) = 13", name="national_id_length"),
    )

    def full_name(self, locale: str = "th") -> str:
        if locale == "en" and self.first_name_en:
            return f"{self.first_name_en} {self.last_name_en}".strip()
        return f"{self.first_name_th} {self.last_name_th}"
