"""Accounts: registration with email confirmation, password checks and resets, roles, the
candidate profile. Every change to who may act (password, roles, agency, deactivation) ends
the account's sessions (sessions.py)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..common import national_id as nid
from ..common.clock import now, today_bangkok
from ..common.errors import NotAllowed, ValidationFailed
from ..common.i18n import current_locale
from ..common.lookup import count_by, get_or_not_found
from ..common.thai import format_datetime as format_date_time
from ..extensions import db
from ..notifications.services import queue_email
from . import sessions, tokens
from .models import CandidateProfile, EducationLevel, EmploymentType, Role, User, UserRole

log = logging.getLogger("bma_recruit.security")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), "password"
        )
    if password.isdigit() or password.isalpha():
        raise ValidationFailed(_("The password must mix letters with digits or symbols."), "password")


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@dataclass(frozen=True)
class Links:
    """The absolute links emails carry. Built by the views from PUBLIC_BASE_URL (services
    never call url_for): `verify` and `reset` turn a token into a link."""

    verify: Callable[[str], str]
    reset: Callable[[str], str]
    login: str
    forgot: str


def _both_languages(render: Callable[[], str]) -> str:
    """An email's text in Thai, then in English: the address's owner may read either."""
    parts = []
    for locale in ("th", "en"):
        with force_locale(locale):
            parts.append(render())
    return "\n\n— — —\n\n".join(parts)


def _queue(
    to: str, subject: Callable[[], str], body: Callable[[], str], key: str, user_id: int | None = None
) -> None:
    queue_email(
        to=to,
        subject=_both_languages(subject).replace("\n\n— — —\n\n", " / "),
        body=_both_languages(body),
        dedupe_key=key[:120],
        user_id=user_id,
    )


def _now_in_words() -> str:
    """Now, as the language being written says it: "7 ธันวาคม 2569 09:30 น." (B.E.) in Thai."""
    return format_date_time(now(), current_locale())


def _key(kind: str, *parts) -> str:
    """A dedupe key unique per message (the outbox refuses the same key twice)."""
    return ":".join([kind, *map(str, parts), secrets.token_hex(8)])


def send_verification_email(user: User, links: Links) -> None:
    """Queue a link that confirms `user`'s address (the caller commits)."""
    link = links.verify(tokens.verification_token(user))
    hours = current_app.config["EMAIL_VERIFY_MAX_AGE"] // 3600
    _queue(
        user.email,
        lambda: _("BMA Recruit: confirm your email address"),
        lambda: _(
            "Hello %(name)s,\n\nTo finish creating your BMA Recruit account, confirm "
            "your email address by opening this link within %(hours)s hours:\n\n"
            "%(link)s\n\nIf you did not create an account, ignore this email: without "
            "the confirmation the account cannot be used.",
            name=user.first_name_th,
            hours=hours,
            link=link,
        ),
        _key("verify", user.id),
        user.id,
    )


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


def register_candidate(reg: Registration, links: Links, ip: str = "") -> User | None:
    """Create an unconfirmed candidate account and email its confirmation link; None when the
    email or national ID is already registered (their owners are told by email instead).

    The caller answers both outcomes with the same page: whether an address or a national ID
    is registered is never shown to whoever submits the form.
    """
    national_id = nid.normalize(reg.national_id)
    if not nid.is_valid(national_id):
        raise ValidationFailed(_("This is not a valid Thai national ID number (check digit)."), "national_id")
    check_password_strength(reg.password)
    if reg.birth_date >= today_bangkok():
        raise ValidationFailed(_("The birth date must be in the past."), "birth_date")
    email = reg.email.strip().lower()
    # Hashed before the look-up: a taken email or ID answers after the same argon2 work.
    password_hash = hash_password(reg.password)
    by_id = db.session.scalar(select(User).where(User.national_id == national_id))
    by_email = find_by_email(email)
    if by_id is not None or by_email is not None:
        _refuse_registration(email, national_id, by_email, by_id, links, ip)
        return None
    user = User(
        email=email,
        password_hash=password_hash,
        national_id=national_id,
        first_name_th=reg.first_name_th.strip(),
        last_name_th=reg.last_name_th.strip(),
        first_name_en=reg.first_name_en.strip(),
        last_name_en=reg.last_name_en.strip(),
        birth_date=reg.birth_date,
        phone=reg.phone.strip(),
    )
    user.roles.append(UserRole(role=Role.CANDIDATE))
    user.profile = CandidateProfile()
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same person registering twice at the same moment
        db.session.rollback()
        by_id = db.session.scalar(select(User).where(User.national_id == national_id))
        _refuse_registration(email, national_id, find_by_email(email), by_id, links, ip)
        return None
    record(
        "user.register",
        user,
        actor=user,
        ip=ip,
        after={"email": user.email, "national_id": nid.masked(national_id)},
    )
    send_verification_email(user, links)
    db.session.commit()
    return user


def _refuse_registration(
    email: str, national_id: str, by_email: User | None, by_id: User | None, links: Links, ip: str
) -> None:
    """Tell the owners (never the form) that someone tried to register with their details."""
    if by_email is not None:
        _queue(
            by_email.email,
            lambda: _("BMA Recruit: someone tried to register with your email"),
            lambda: _(
                "Someone asked on %(when)s to create a new BMA Recruit account with this "
                "email address, which already has an account.\n\nIf it was you: log in "
                "at %(login)s, or if you have forgotten the password, set a new one at "
                "%(forgot)s.\n\nIf it was not you, you need do nothing: no account was "
                "created and your account is unchanged.",
                when=_now_in_words(),
                login=links.login,
                forgot=links.forgot,
            ),
            _key("register-taken", by_email.id),
            by_email.id,
        )
    if by_id is not None and by_id is not by_email:
        _queue(
            by_id.email,
            lambda: _("BMA Recruit: someone tried to register with your national ID"),
            lambda: _(
                "Someone asked on %(when)s to create a new BMA Recruit account with your "
                "national ID number (%(nid)s) and another email address. Your national "
                "ID can have only one account, so none was created.\n\nIf it was you, "
                "log in with this email address at %(login)s (or set a new password at "
                "%(forgot)s). If it was not you, please tell the agency that runs your "
                "recruitment round.",
                when=_now_in_words(),
                nid=nid.masked(national_id),
                login=links.login,
                forgot=links.forgot,
            ),
            _key("register-nid", by_id.id),
            by_id.id,
        )
    if by_email is None:
        # The address typed in the form gets an answer too, one that names no one's details.
        _queue(
            email,
            lambda: _("BMA Recruit: your registration was not completed"),
            lambda: _(
                "We could not create a BMA Recruit account with the details you gave. "
                "If you already have an account, log in at %(login)s or set a new "
                "password at %(forgot)s. Otherwise, please contact the agency that runs "
                "your recruitment round.",
                login=links.login,
                forgot=links.forgot,
            ),
            _key("register-refused", email),
        )
    record(
        "user.register_refused",
        object_type="user",
        object_id=(by_email or by_id).id,
        actor=None,
        ip=ip,
        after={"email_taken": by_email is not None, "national_id_taken": by_id is not None},
    )
    db.session.commit()


class LoginFailed(NotAllowed):
    status_code = 401
    code = "login_failed"


class EmailNotVerified(LoginFailed):
    code = "email_not_verified"


_dummy_hash: str | None = None


def _hash_to_check(user: User | None) -> str:
    """The user's hash, or for an unknown email a fixed dummy one: the same argon2 work (and
    so the same time) either way."""
    global _dummy_hash
    if user is not None:
        return user.password_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def authenticate(email: str, password: str, links: Links | None = None, ip: str = "") -> User:
    """The user for these credentials. Unknown email and wrong password get the same message
    after the same work; repeated failures are slowed down by the views' rate limits (per
    address, per account and address), never by locking the account."""
    user = find_by_email(email or "")
    try:
        _hasher.verify(_hash_to_check(user), password or "")
        if user is None:  # (cannot happen: nobody knows the dummy's password)
            raise VerifyMismatchError()
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        log.info("failed login for %s from %s", "a known account" if user else "an unknown email", ip)
        raise LoginFailed(_("Wrong email or password.")) from None
    if not user.active:
        raise LoginFailed(_("This account has been deactivated."))
    if not user.email_verified:
        if links is not None:
            send_verification_email(user, links)
            db.session.commit()
        raise EmailNotVerified(
            _("Confirm your email address first: we have sent you a new link. Open it, then log in.")
        )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def change_password(user: User, old: str, new: str, ip: str = "") -> None:
    """Set a new password; every session of the account ends (the view logs this one in again)."""
    try:
        _hasher.verify(user.password_hash, old or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise ValidationFailed(_("The current password is wrong."), "old_password") from None
    check_password_strength(new)
    user.password_hash = hash_password(new)
    record("user.password", user, actor=user, ip=ip)
    sessions.end_all_sessions(user, actor=user, reason="password_change", ip=ip, audit=False)
    db.session.commit()


# ---- email confirmation and password reset ------------------------------------------------


def _link_error(err: tokens.TokenInvalid) -> ValidationFailed:
    if err.expired:
        return ValidationFailed(_("This link has expired. Ask for a new one."), "token")
    return ValidationFailed(
        _("This link is not valid, or it has already been used. Ask for a new one."), "token"
    )


def verify_email(token: str, ip: str = "") -> User:
    """Confirm the address a verification link was sent to; following it twice is harmless."""
    try:
        user_id, email = tokens.read_verification_token(token)
    except tokens.TokenInvalid as err:
        raise _link_error(err) from None
    user = db.session.get(User, user_id)
    if user is None or user.email != email:
        raise _link_error(tokens.TokenInvalid())
    if user.email_verified_at is None:
        user.email_verified_at = now()
        record("user.email_verified", user, actor=user, ip=ip, after={"email": user.email})
        db.session.commit()
    return user


def request_password_reset(email: str, links: Links) -> None:
    """Email a single-use reset link to the account with this address. The answer on screen is
    the same whether one exists; an address with no account is told so by email (the same
    work either way, so not even the time taken tells them apart)."""
    email = (email or "").strip().lower()
    user = find_by_email(email)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    if user is not None and user.active:
        link = links.reset(tokens.reset_token(user))
        _queue(
            user.email,
            lambda: _("BMA Recruit: set a new password"),
            lambda: _(
                "Someone (we hope you) asked to set a new password for your BMA Recruit "
                "account. Open this link within %(minutes)s minutes to choose one; it "
                "works once:\n\n%(link)s\n\nIf you did not ask, ignore this email: your "
                "password stays as it is.",
                minutes=minutes,
                link=link,
            ),
            _key("reset", user.id),
            user.id,
        )
    else:
        _queue(
            email,
            lambda: _("BMA Recruit: set a new password"),
            lambda: _(
                "Someone asked to set a new password for a BMA Recruit account with this "
                "email address, but no active account uses it. If you meant to create "
                "one, register at %(login)s.",
                login=links.login,
            ),
            _key("reset-none", email),
        )
    db.session.commit()


def check_reset_token(token: str) -> User:
    """The account a reset link is for, if the link is still valid and unused."""
    try:
        user_id, fingerprint = tokens.read_reset_token(token)
    except tokens.TokenInvalid as err:
        raise _link_error(err) from None
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.active
        or not secrets.compare_digest(fingerprint, tokens.password_fingerprint(user.password_hash))
    ):
        raise _link_error(tokens.TokenInvalid())
    return user


def reset_password(token: str, new: str, ip: str = "") -> User:
    """Set a new password through a reset link: the link stops working (the password it was
    issued against is gone), every session ends, and the owner is told by email."""
    user = check_reset_token(token)
    check_password_strength(new)
    user.password_hash = hash_password(new)
    if user.email_verified_at is None:  # the link reached the mailbox: the address is proven
        user.email_verified_at = now()
    record("user.password_reset", user, actor=user, ip=ip)
    sessions.end_all_sessions(user, actor=user, reason="password_reset", ip=ip, audit=False)
    _queue(
        user.email,
        lambda: _("BMA Recruit: your password was changed"),
        lambda: _(
            "The password of your BMA Recruit account was changed through a reset link "
            "on %(when)s. If this was not you, ask for a new reset link at once and "
            "tell the agency that runs your recruitment round.",
            when=_now_in_words(),
        ),
        _key("reset-done", user.id),
        user.id,
    )
    db.session.commit()
    return user


PROFILE_FIELDS = (
    "education_level",
    "degree_name",
    "field_of_study",
    "institution",
    "gpa",
    "graduation_date",
    "employment_type",
    "bma_service_start",
    "disability_card_no",
    "disability_type",
)
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
    record(
        "profile.update",
        profile,
        actor=user,
        before=before,
        after={f: getattr(profile, f) for f in PROFILE_FIELDS},
    )
    db.session.commit()
    return profile


# ---- administration ----------------------------------------------------------------------


def create_staff_user(
    actor,
    *,
    email: str,
    password: str,
    first_name_th: str,
    last_name_th: str,
    first_name_en: str = "",
    last_name_en: str = "",
    roles: list[str],
    agency_id: int | None = None,
    national_id: str | None = None,
) -> User:
    if find_by_email(email):
        raise ValidationFailed(_("An account with this email already exists."), "email")
    if national_id:
        national_id = nid.normalize(national_id)
        if not nid.is_valid(national_id):
            raise ValidationFailed(
                _("This is not a valid Thai national ID number (check digit)."), "national_id"
            )
    check_password_strength(password)
    user = User(
        email=email.strip().lower(),
        password_hash=hash_password(password),
        national_id=national_id or None,
        first_name_th=first_name_th,
        last_name_th=last_name_th,
        first_name_en=first_name_en,
        last_name_en=last_name_en,
        agency_id=agency_id,
        email_verified_at=now(),
    )
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
    sessions.end_all_sessions(user, actor=actor, reason="role_change", audit=False)
    db.session.commit()


def revoke_role(user: User, role: str, actor) -> None:
    link = next((r for r in user.roles if r.role == role), None)
    if link is None:
        return
    if role == Role.ADMIN and getattr(actor, "id", None) == user.id:
        raise NotAllowed(_("You cannot remove your own administrator role."))
    user.roles.remove(link)
    record("role.revoke", user, actor=actor, before={"role": role})
    sessions.end_all_sessions(user, actor=actor, reason="role_change", audit=False)
    db.session.commit()


def set_agency(user: User, agency_id: int | None, actor) -> None:
    if agency_id is None and user.has_role(*Role.AGENCY_SCOPED):
        raise ValidationFailed(_("Remove the user's HR roles before removing the agency."), "agency_id")
    before = {"agency_id": user.agency_id}
    user.agency_id = agency_id
    record("user.agency", user, actor=actor, before=before, after={"agency_id": agency_id})
    if before["agency_id"] != agency_id:
        sessions.end_all_sessions(user, actor=actor, reason="agency_change", audit=False)
    db.session.commit()


def set_active(user: User, active: bool, actor) -> None:
    if not active and getattr(actor, "id", None) == user.id:
        raise NotAllowed(_("You cannot deactivate your own account."))
    before = {"active": user.active}
    user.active = active
    record("user.active", user, actor=actor, before=before, after={"active": active})
    if not active:
        sessions.end_all_sessions(user, actor=actor, reason="deactivated", audit=False)
    db.session.commit()


# ---- admin queries -----------------------------------------------------------------------

# Imported here so that this section stays separate from the rest of the module.
from sqlalchemy import or_  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

USERS_PER_PAGE = 50


def get_user(user_id: int) -> User:
    return get_or_not_found(User, user_id, _("No such user."))


def search_users(q: str = "", role: str | None = None, page: int = 1, per_page: int = USERS_PER_PAGE):
    """Users whose email or name (Thai or English, first, last or both) contains `q`; a page."""
    stmt = select(User).options(selectinload(User.agency)).order_by(User.id.desc())
    q = (q or "").strip()
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        User.email,
                        User.first_name_th,
                        User.last_name_th,
                        User.first_name_en,
                        User.last_name_en,
                        User.first_name_th + " " + User.last_name_th,
                        User.first_name_en + " " + User.last_name_en,
                    )
                )
            )
        )
    if role:
        stmt = stmt.where(User.roles.any(UserRole.role == role))
    return db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False)


def count_users_by_role() -> dict[str, int]:
    return count_by(UserRole.role, Role.ALL)


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))
