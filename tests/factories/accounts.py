"""People and their agencies in one line (a candidate with a profile, HR of an agency, any role), and
a logged-in client in one line."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from app.accounts.models import CandidateProfile, EducationLevel, Role, User, UserRole
from app.accounts.services import hash_password
from app.agencies.models import Agency
from app.common import national_id as nid
from app.common.clock import now
from app.extensions import db

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)
_HASH = None


def shared_password_hash() -> str:
    global _HASH  # hashing is deliberately slow; the factories share one hash
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def national_id() -> str:
    return nid.complete(f"1{next(_seq):011d}")


def agency(
    code: str | None = None, name_th: str = "สำนักงานเขตทดสอบ", name_en: str = "Test District Office"
) -> Agency:
    code = code or f"AG{next(_seq)}"
    a = Agency(code=code, name_th=f"{name_th} {code}", name_en=f"{name_en} {code}")
    db.session.add(a)
    db.session.commit()
    return a


def user(*roles: str, agency: Agency | None = None, email: str | None = None, **fields) -> User:
    n = next(_seq)
    u = User(
        email=email or f"user{n}@example.test",
        password_hash=shared_password_hash(),
        first_name_th=fields.pop("first_name_th", "ทดสอบ"),
        last_name_th=fields.pop("last_name_th", f"ผู้ใช้{n}"),
        first_name_en=fields.pop("first_name_en", "Test"),
        last_name_en=fields.pop("last_name_en", f"User{n}"),
        agency_id=agency.id if agency else None,
        email_verified_at=fields.pop("email_verified_at", now()),
        **fields,
    )
    u.roles = [UserRole(role=r) for r in roles]
    db.session.add(u)
    db.session.commit()
    return u


def candidate(**profile) -> User:
    birth = profile.pop("birth_date", date(1995, 1, 15))
    u = user(
        Role.CANDIDATE,
        national_id=profile.pop("national_id", None) or national_id(),
        birth_date=birth,
        phone="0812345678",
        email=profile.pop("email", None),
    )
    defaults = dict(
        education_level=EducationLevel.BACHELOR,
        degree_name="วิศวกรรมศาสตรบัณฑิต",
        field_of_study="วิศวกรรมโยธา",
        gpa=Decimal("3.10"),
    )
    defaults.update(profile)
    u.profile = CandidateProfile(**defaults)
    db.session.commit()
    return u


def hr(agency: Agency, *, approver: bool = False) -> User:
    return user(Role.HR_APPROVER if approver else Role.HR_OFFICER, agency=agency)


def login(client, u: User, password: str = PASSWORD):
    return client.post(
        "/accounts/login", data={"email": u.email, "password": password}, follow_redirects=False
    )


def client_for(app, user: User | None = None, lang: str = "en"):
    """A fresh browser session in `lang`, logged in as `user` when given."""
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["lang"] = lang
    if user is not None:
        assert login(c, user).status_code == 302
    return c
