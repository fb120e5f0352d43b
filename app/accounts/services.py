"""Accounts: registration, password checks with lock-out, roles, the candidate profile."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..common import national_id as nid
from ..common.clock import now, today_bangkok
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from .models import CandidateProfile, EducationLevel, EmploymentType, Role, User, UserRole

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_("The password must have at least %(n)s characters.",
                                 n=MIN_PASSWORD_LENGTH), "password")
    if password.isdigit() or password.isalpha():
        raise ValidationFailed(_("The password must mix letters with digits or symbols."),
                               "password")


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@dataclass
class Registration:
    email: str
    password: str
    national_id: str
    first_name_th: str
    last_name_th: str
    first_name_en: str
    last_name_en: str
    birth_date: date
    phone: str


def register_candidate(reg: Registration, ip: str = "") -> User:
    national_id = nid.normalize(reg.national_id)
    if not nid.is_valid(national_id):
        raise ValidationFailed(_("This is not a valid Thai national ID number (check digit)."),
                               "national_id")
    if db.session.scalar(select(User.id).where(User.national_id == national_id)):
        raise ValidationFailed(_("An account with this national ID number already exists."),
                               "national_id")
    if find_by_email(reg.email):
        raise ValidationFailed(_("An account with this email already exists."), "email")
    check_password_strength(reg.password)
    if reg.birth_date >= today_bangkok():
        raise ValidationFailed(_("The birth date must be in the past."), "birth_date")
    user = User(email=reg.email.strip().lower(), password_hash=hash_password(reg.password),
                national_id=national_id, first_name_th=reg.first_name_th.strip(),
                last_name_th=reg.last_name_th.strip(), first_name_en=reg.first_name_en.strip(),
                last_name_en=reg.last_name_en.strip(), birth_date=reg.birth_date,
                phone=reg.phone.strip())
    user.roles.append(UserRole(role=Role.CANDIDATE))
    user.profile = CandidateProfile()
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same person registering twice at the same moment
        db.session.rollback()
        raise ValidationFailed(_("An account with this national ID number or email already exists."),
                               "national_id") from None
    record("user.register", user, actor=user, ip=ip,
           after={"email": user.email, "national_id": nid.masked(national_id)})
    db.session.commit()
    return user


class LoginFailed(NotAllowed):
    status_code = 401
    code = "login_failed"


def authenticate(email: str, password: str, ip: str = "") -> User:
    """The user for these credentials; counts failures and locks the account after too many."""
    user = find_by_email(email or "")
    generic = _("Wrong email or password.")
    if user is None:
        _hasher.hash(password or "x")  # spend the same time as a real check
        raise LoginFailed(generic)
    t = now()
    if user.locked_until and user.locked_until > t:
        minutes = max(1, int((user.locked_until - t).total_seconds() // 60) + 1)
        raise LoginFailed(_("Too many failed attempts: the account is locked for %(m)s more minutes.",
                            m=minutes))
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        cfg = current_app.config
        if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = t + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            record("user.locked", user, actor=None, ip=ip,
                   after={"locked_until": user.locked_until})
        db.session.commit()
        raise LoginFailed(generic) from None
    if not user.active:
        raise LoginFailed(_("This account has been deactivated."))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    return user


def change_password(user: User, old: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash, old or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise ValidationFailed(_("The current password is wrong."), "old_password") from None
    check_password_strength(new)
    user.password_hash = hash_password(new)
    record("user.password", user, actor=user)
    db.session.commit()


PROFILE_FIELDS = ("education_level", "degree_name", "field_of_study", "institution", "gpa",
                  "graduation_date", "employment_type", "bma_service_start", "disability_card_no",
                  "disability_type")
NULLABLE_PROFILE_FIELDS = {"education_level", "gpa", "graduation_date", "bma_service_start"}


def update_profile(user: User, values: dict) -> CandidateProfile:
    profile = user.profile or CandidateProfile(user=user)
    if values.get("education_level") not in (None, "", *EducationLevel.ORDER):
        raise ValidationFailed(_("Choose an education level."), "education_level")
    if values.get("employment_type") not in (None, "", *EmploymentType.ALL):
        raise ValidationFailed(_("Choose an employment type."), "employment_type")
    gpa = values.get("gpa")
    if gpa is not None and not 0 <= gpa <= 4:
        raise ValidationFailed(_("GPA is between 0.00 and 4.00."), "gpa")
    before = {f: getattr(profile, f) for f in PROFILE_FIELDS}
    for f in PROFILE_FIELDS:
        if f in values:
            v = values[f]
            setattr(profile, f, "" if v is None and f not in NULLABLE_PROFILE_FIELDS else v)
    if not profile.employment_type:
        profile.employment_type = EmploymentType.NONE
    db.session.add(profile)
    db.session.flush()
    record("profile.update", profile, actor=user, before=before,
           after={f: getattr(profile, f) for f in PROFILE_FIELDS})
    db.session.commit()
    return profile


# ---- administration ----------------------------------------------------------------------

def create_staff_user(actor, *, email: str, password: str, first_name_th: str, last_name_th: str,
                      first_name_en: str = "", last_name_en: str = "", roles: list[str],
                      agency_id: int | None = None, national_id: str | None = None) -> User:
    if find_by_email(email):
        raise ValidationFailed(_("An account with this email already exists."), "email")
    if national_id:
        national_id = nid.normalize(national_id)
        if not nid.is_valid(national_id):
            raise ValidationFailed(_("This is not a valid Thai national ID number (check digit)."),
                                   "national_id")
    check_password_strength(password)
    user = User(email=email.strip().lower(), password_hash=hash_password(password),
                national_id=national_id or None, first_name_th=first_name_th,
                last_name_th=last_name_th, first_name_en=first_name_en,
                last_name_en=last_name_en, agency_id=agency_id)
    db.session.add(user)
    db.session.flush()
    record("user.create", user, actor=actor, after={"email": user.email, "agency_id": agency_id})
    for role in roles:
        _grant(user, role, actor)
    db.session.commit()
    return user


def _grant(user: User, role: str, actor) -> None:
    if role not in Role.ALL:
        raise ValidationFailed(_("Unknown role %(role)s.", role=role), "role")
    if role in user.role_names:
        return
    if role in Role.AGENCY_SCOPED and user.agency_id is None:
        raise ValidationFailed(_("An HR role needs the user's agency to be set first."), "role")
    if role == Role.CANDIDATE and user.profile is None:
        user.profile = CandidateProfile()
    user.roles.append(UserRole(role=role, granted_by_id=getattr(actor, "id", None)))
    db.session.flush()
    record("role.grant", user, actor=actor, after={"role": role})


def grant_role(user: User, role: str, actor) -> None:
    _grant(user, role, actor)
    db.session.commit()


def revoke_role(user: User, role: str, actor) -> None:
    link = next((r for r in user.roles if r.role == role), None)
    if link is None:
        return
    if role == Role.ADMIN and getattr(actor, "id", None) == user.id:
        raise NotAllowed(_("You cannot remove your own administrator role."))
    user.roles.remove(link)
    record("role.revoke", user, actor=actor, before={"role": role})
    db.session.commit()


def set_agency(user: User, agency_id: int | None, actor) -> None:
    if agency_id is None and user.has_role(*Role.AGENCY_SCOPED):
        raise ValidationFailed(_("Remove the user's HR roles before removing the agency."),
                               "agency_id")
    before = {"agency_id": user.agency_id}
    user.agency_id = agency_id
    record("user.agency", user, actor=actor, before=before, after={"agency_id": agency_id})
    db.session.commit()


def set_active(user: User, active: bool, actor) -> None:
    if not active and getattr(actor, "id", None) == user.id:
        raise NotAllowed(_("You cannot deactivate your own account."))
    before = {"active": user.active}
    user.active = active
    if active:
        user.locked_until, user.failed_logins = None, 0
    record("user.active", user, actor=actor, before=before, after={"active": active})
    db.session.commit()


# ---- admin queries -----------------------------------------------------------------------

# Imported here so that this section stays separate from the rest of the module.
from sqlalchemy import or_  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from ..common.errors import NotFound  # noqa: E402

USERS_PER_PAGE = 50


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def search_users(q: str = "", role: str | None = None, page: int = 1,
                 per_page: int = USERS_PER_PAGE):
    """Users whose email or name (Thai or English, first, last or both) contains `q`; a page."""
    stmt = select(User).options(selectinload(User.agency)).order_by(User.id.desc())
    q = (q or "").strip()
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(*(
            column.ilike(pattern, escape="\\") for column in (
                User.email, User.first_name_th, User.last_name_th, User.first_name_en,
                User.last_name_en, User.first_name_th + " " + User.last_name_th,
                User.first_name_en + " " + User.last_name_en)
        )))
    if role:
        stmt = stmt.where(User.roles.any(UserRole.role == role))
    return db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False)


def count_users_by_role() -> dict[str, int]:
    rows = db.session.execute(select(UserRole.role, func.count()).group_by(UserRole.role))
    counts = dict.fromkeys(Role.ALL, 0)
    counts.update(rows.all())  # (role, n) pairs (a Result has keys(): not a mapping)
    return counts


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))
