"""An agency hires: it owns positions, recruitment rounds and (later) merit lists."""

from __future__ import annotations

from enum import StrEnum, nonmember

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AgencyKind(StrEnum):
    OFFICE = "office"  # สำนักงาน
    DEPARTMENT = "department"  # สำนัก
    DISTRICT = "district"  # สำนักงานเขต
    ALL = nonmember((OFFICE, DEPARTMENT, DISTRICT))


class Agency(db.Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=AgencyKind.DEPARTMENT)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Online interviews of this agency's rounds are recorded (docs/video.md): the candidate is
    # told and consents before entering; recordings are deleted after VIDEO_RECORDING_KEEP_DAYS.
    records_interviews: Mapped[bool] = mapped_column(Boolean, default=False)

    def name(self, locale: str = "th") -> str:
        return self.name_en if locale == "en" else self.name_th

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"
