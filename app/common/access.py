"""Who is HR of what: the one HR access rule every capability uses.

HR (an `hr_officer` or `hr_approver`) acts only for its own agency; administrators are not HR
and get no exception. Services call `need_hr_of` (a domain error the views and socket handlers
turn into 403 / `ok: false`), views pass `HR_ROLES` to `roles_required`.
"""

from __future__ import annotations

from flask_babel import gettext as _

from .errors import Forbidden

# The role names (accounts.models.Role.HR_OFFICER / HR_APPROVER), written here so that this
# lowest module depends on no capability package.
HR_OFFICER, HR_APPROVER = "hr_officer", "hr_approver"
HR_ROLES = (HR_OFFICER, HR_APPROVER)
# Keeps the shared exam item bank (accounts.models.Role.BANK_MANAGER).
BANK_MANAGER = "bank_manager"


def is_hr(user) -> bool:
    """Is `user` a logged-in HR user of some agency?"""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.agency_id is not None
        and user.has_role(*HR_ROLES)
    )


def is_hr_of(user, agency_id: int | None) -> bool:
    """Is `user` a logged-in HR user of agency `agency_id`?"""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and agency_id is not None
        and user.agency_id is not None
        and user.agency_id == agency_id
        and user.has_role(*HR_ROLES)
    )


def need_hr_of(user, agency_id: int | None, message: str | None = None) -> None:
    """HR of `agency_id`, or Forbidden with `message` (default: another agency's)."""
    if not is_hr_of(user, agency_id):
        raise Forbidden(message or _("This belongs to another agency."))


def need_hr_of_round(user, round_) -> None:
    """HR of the round's agency, or Forbidden ("This round belongs to another agency.")."""
    need_hr_of(user, round_.agency_id, _("This round belongs to another agency."))


def need_hr_of_sitting(user, sitting) -> None:
    """HR of the sitting's agency, or Forbidden."""
    need_hr_of(user, sitting.agency_id, _("This sitting belongs to another agency."))


def is_bank_manager(user) -> bool:
    """Is `user` a logged-in keeper of the exam item bank?"""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(BANK_MANAGER))
