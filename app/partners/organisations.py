"""Partner organisations and the accounts that act for them: who is a partner, recording an
organisation, linking an account to it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.models import Role, User
from ..accounts.services import grant_role
from ..audit.services import record
from ..common.access import HR_ROLES, is_hr
from ..common.errors import Forbidden, ValidationFailed
from ..common.lookup import get_or_not_found
from ..extensions import db
from .models import Agreement, OrganisationKind, PartnerMember, PartnerOrganisation


def organisation_of(user) -> PartnerOrganisation | None:
    """The organisation a partner account acts for (None: not a partner, or not linked yet)."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.PARTNER):
        return None
    member = db.session.scalar(select(PartnerMember).where(PartnerMember.user_id == user.id))
    return member.organisation if member else None


def need_partner(user) -> PartnerOrganisation:
    org = organisation_of(user)
    if org is None:
        raise Forbidden(
            _(
                "Your account is not linked to a partner organisation. Ask the HR "
                "office that signed your agreement to link it."
            )
        )
    return org


def create_organisation(
    actor, *, name_th: str, name_en: str = "", kind: str = OrganisationKind.OTHER
) -> PartnerOrganisation:
    if not is_hr(actor):
        raise Forbidden(_("Only HR can record partner organisations."))
    name_th = (name_th or "").strip()
    if not name_th:
        raise ValidationFailed(_("A Thai name is required."), "name_th")
    if kind not in OrganisationKind.ALL:
        raise ValidationFailed(_("Choose the kind of organisation."), "kind")
    if db.session.scalar(select(PartnerOrganisation).where(PartnerOrganisation.name_th == name_th)):
        raise ValidationFailed(_("A partner organisation with this name already exists."), "name_th")
    org = PartnerOrganisation(
        name_th=name_th, name_en=(name_en or "").strip(), kind=kind, created_by_id=actor.id
    )
    db.session.add(org)
    db.session.flush()
    record(
        "partner.organisation.create",
        org,
        actor=actor,
        after={"name_th": org.name_th, "name_en": org.name_en, "kind": kind},
    )
    db.session.commit()
    return org


def organisations() -> list[PartnerOrganisation]:
    return list(db.session.scalars(select(PartnerOrganisation).order_by(PartnerOrganisation.name_th)))


def get_organisation(org_id: int) -> PartnerOrganisation:
    return get_or_not_found(PartnerOrganisation, org_id, _("No such partner organisation."))


def link_partner_account(org: PartnerOrganisation, email: str, actor) -> PartnerMember:
    """HR of an agency with an agreement with `org` links an existing account to it and gives
    it the partner role. An account acts for one organisation only."""
    if not is_hr(actor):
        raise Forbidden(_("Only HR can link partner accounts."))
    if not db.session.scalar(
        select(Agreement.id).where(
            Agreement.organisation_id == org.id, Agreement.agency_id == actor.agency_id
        )
    ):
        raise Forbidden(_("Your agency has no agreement with this organisation."))
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        raise ValidationFailed(
            _("No account has this email address: the person must register first."), "email"
        )
    if user.has_role(*HR_ROLES, Role.ADMIN):
        raise ValidationFailed(_("A BMA staff account cannot act for a partner."), "email")
    member = db.session.scalar(select(PartnerMember).where(PartnerMember.user_id == user.id))
    if member is not None:
        if member.organisation_id == org.id:
            raise ValidationFailed(_("This account is already linked to the organisation."), "email")
        raise ValidationFailed(_("This account already acts for another partner organisation."), "email")
    member = PartnerMember(user_id=user.id, organisation_id=org.id, added_by_id=actor.id)
    db.session.add(member)
    db.session.flush()
    record(
        "partner.member.add",
        member,
        actor=actor,
        after={"user": user.id, "email": user.email, "organisation": org.id},
    )
    grant_role(user, Role.PARTNER, actor)  # commits the link with the role
    return member


def members_of(org: PartnerOrganisation) -> list[PartnerMember]:
    return list(
        db.session.scalars(
            select(PartnerMember).where(PartnerMember.organisation_id == org.id).order_by(PartnerMember.id)
        )
    )
