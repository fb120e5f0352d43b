"""Agencies: creating and editing the units that hire (administrators only)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..common.errors import ValidationFailed
from ..common.lookup import get_or_not_found
from ..extensions import db
from .models import Agency, AgencyKind

AGENCY_FIELDS = ("code", "name_th", "name_en", "kind", "active", "records_interviews")


def snapshot(agency: Agency) -> dict:
    return {f: getattr(agency, f) for f in AGENCY_FIELDS}


def list_agencies(active_only: bool = False) -> list[Agency]:
    stmt = select(Agency).order_by(Agency.code)
    if active_only:
        stmt = stmt.where(Agency.active.is_(True))
    return list(db.session.scalars(stmt))


def get_agency(agency_id: int) -> Agency:
    return get_or_not_found(Agency, agency_id, _("No such agency."))


def _clean(code: str, name_th: str, name_en: str, kind: str) -> dict:
    values = {
        "code": (code or "").strip(),
        "name_th": (name_th or "").strip(),
        "name_en": (name_en or "").strip(),
        "kind": kind,
    }
    if not values["code"]:
        raise ValidationFailed(_("An agency code is required."), "code")
    if not values["name_th"]:
        raise ValidationFailed(_("The Thai name is required."), "name_th")
    if not values["name_en"]:
        raise ValidationFailed(_("The English name is required."), "name_en")
    if kind not in AgencyKind.ALL:
        raise ValidationFailed(_("Choose the kind of agency."), "kind")
    return values


def _check_code_free(code: str, agency_id: int | None = None) -> None:
    # Case-insensitive: "ag01" and "AG01" would be the same agency to a reader.
    other = db.session.scalar(select(Agency).where(func.lower(Agency.code) == code.lower()))
    if other is not None and other.id != agency_id:
        raise ValidationFailed(_("Another agency already uses the code %(code)s.", code=code), "code")


def create_agency(
    actor,
    *,
    code: str,
    name_th: str,
    name_en: str,
    kind: str = AgencyKind.DEPARTMENT,
    active: bool = True,
    records_interviews: bool = False,
    ip: str = "",
) -> Agency:
    values = _clean(code, name_th, name_en, kind)
    _check_code_free(values["code"])
    agency = Agency(active=bool(active), records_interviews=bool(records_interviews), **values)
    db.session.add(agency)
    db.session.flush()
    record("agency.create", agency, actor=actor, ip=ip, after=snapshot(agency))
    db.session.commit()
    return agency


def update_agency(
    agency: Agency,
    actor,
    *,
    code: str,
    name_th: str,
    name_en: str,
    kind: str,
    active: bool,
    records_interviews: bool = False,
    ip: str = "",
) -> Agency:
    values = _clean(code, name_th, name_en, kind)
    values["active"] = bool(active)
    values["records_interviews"] = bool(records_interviews)
    _check_code_free(values["code"], agency.id)
    before = snapshot(agency)
    changed = {f: v for f, v in values.items() if before[f] != v}
    if not changed:
        return agency
    for f, v in changed.items():
        setattr(agency, f, v)
    record("agency.update", agency, actor=actor, ip=ip, before={f: before[f] for f in changed}, after=changed)
    db.session.commit()
    return agency
