"""Accounts journeys: register, log in (with throttling), profile, password, /api/me. The security
findings of issue 14 (oracles, sessions, resets, lock-out abuse) are in test_security.py."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.accounts.models import EducationLevel, EmploymentType, Role, User
from app.audit.models import AuditEntry
from app.common import national_id as nid
from app.common.clock import today_bangkok
from app.notifications.models import OutboxEmail
from tests.factories import PASSWORD

NID = nid.complete("310170012345")


def registration(**overrides) -> dict:
    data = {
        "first_name_th": "สมหญิง",
        "last_name_th": "ใจดี",
        "first_name_en": "Somying",
        "last_name_en": "Jaidee",
        "national_id": nid.formatted(NID),  # typed with dashes
        "birth_date": "1996-04-02",
        "email": "Somying@Example.com",
        "phone": "081-234-5678",
        "password": "strong-pass-2026",
        "password_confirm": "strong-pass-2026",
    }
    data.update(overrides)
    return data


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def logged_in_email(client) -> str | None:
    response = client.get("/api/me")
    return response.get_json()["email"] if response.status_code == 200 else None


# ---- registration ----------------------------------------------------------------------------


def test_register_creates_an_unconfirmed_candidate_and_emails_the_link(client, db):
    page = client.get("/accounts/register")
    assert page.status_code == 200 and "Create an account" in page.text

    response = client.post("/accounts/register", data=registration())
    assert response.status_code == 200
    assert "Check your email" in response.text and "somying@example.com" in response.text

    user = db.session.scalar(select(User))
    assert user.email == "somying@example.com"
    assert user.national_id == NID  # stored without the dashes
    assert user.password_hash.startswith("$argon2id$")
    assert user.role_names == {Role.CANDIDATE}
    assert user.profile is not None
    assert user.phone == "0812345678"
    assert (user.first_name_th, user.last_name_en) == ("สมหญิง", "Jaidee")
    assert user.email_verified_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.register"))
    assert entry is not None and entry.object_id == str(user.id) and entry.actor_id == user.id
    assert NID not in str(entry.after)  # the audit log keeps only the masked number

    # Not logged in: the address must be confirmed first, through the emailed link.
    assert logged_in_email(client) is None
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == user.id))
    assert mail.to_address == "somying@example.com"
    assert "/accounts/verify/" in mail.body_text


def test_register_refuses_a_wrong_check_digit_next_to_the_field(client, db):
    bad = NID[:12] + str((int(NID[12]) + 1) % 10)
    response = client.post("/accounts/register", data=registration(national_id=bad))
    assert response.status_code == 422
    assert 'id="national_id-error"' in response.text
    assert "This is not a valid Thai national ID number (check digit)." in response.text
    assert user_count(db) == 0


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1", "The password must have at least 10 characters."),
        ("onlyletterslong", "The password must mix letters with digits or symbols."),
    ],
)
def test_register_refuses_a_weak_password(client, db, password, message):
    response = client.post(
        "/accounts/register", data=registration(password=password, password_confirm=password)
    )
    assert response.status_code == 422
    assert 'id="password-error"' in response.text and message in response.text
    assert user_count(db) == 0


def test_register_refuses_a_confirmation_that_differs(client, db):
    response = client.post("/accounts/register", data=registration(password_confirm="strong-pass-2027"))
    assert response.status_code == 422
    assert 'id="password_confirm-error"' in response.text
    assert "The two passwords are not the same." in response.text
    assert user_count(db) == 0


def test_register_checks_email_phone_names_and_birth_date(client, db):
    response = client.post(
        "/accounts/register",
        data=registration(
            email="not-an-email",
            phone="12345",
            first_name_th="Somying",
            birth_date=(today_bangkok() + timedelta(days=30)).isoformat(),
        ),
    )
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert "Enter a Thai phone number of 9 or 10 digits" in response.text
    assert "Write the name in Thai letters." in response.text
    assert user_count(db) == 0

    # Form is fine but the birth date is in the future: the service says so, next to the field.
    future = (today_bangkok() + timedelta(days=30)).isoformat()
    response = client.post("/accounts/register", data=registration(birth_date=future))
    assert response.status_code == 422
    assert 'id="birth_date-error"' in response.text
    assert "The birth date must be in the past." in response.text
    assert user_count(db) == 0


def test_register_accepts_a_plus66_phone(client, db):
    response = client.post("/accounts/register", data=registration(phone="+66 81 234 5678"))
    assert response.status_code == 200 and "Check your email" in response.text
    assert db.session.scalar(select(User.phone)) == "+66812345678"


def test_register_without_csrf_token_is_refused_when_csrf_is_on(app, client, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/accounts/register", data=registration())
        assert response.status_code == 400
        assert "CSRF" in response.text
        assert user_count(db) == 0
        # The page itself carries the token in the form.
        assert 'name="csrf_token"' in client.get("/accounts/register").text
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# ---- login, lock-out, throttling, logout -------------------------------------------------------


def test_login_success_redirects_home_and_failure_is_401(client, make):
    user = make.candidate()
    response = client.post("/accounts/login", data={"email": user.email, "password": "wrong-pass-1"})
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert logged_in_email(client) is None

    unknown = client.post("/accounts/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert unknown.status_code == 401 and "Wrong email or password." in unknown.text

    response = make.login(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in_email(client) == user.email
    with client.session_transaction() as sess:
        assert sess.permanent


def test_login_follows_a_same_site_next_only(client, make):
    user = make.candidate()
    page = client.get("/accounts/profile")
    assert page.status_code == 302 and "/accounts/login" in page.headers["Location"]

    response = client.post(
        "/accounts/login?next=/accounts/profile",
        data={"email": user.email, "password": PASSWORD, "next": "/accounts/profile"},
    )
    assert response.headers["Location"] == "/accounts/profile"
    client.post("/accounts/logout")

    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post(
            "/accounts/login", data={"email": user.email, "password": PASSWORD, "next": evil}
        )
        assert response.status_code == 302 and response.headers["Location"] == "/", evil
        client.post("/accounts/logout")


def test_login_form_carries_next_from_the_query(client):
    page = client.get("/accounts/login?next=/accounts/profile")
    assert 'value="/accounts/profile"' in page.text
    page = client.get("/accounts/login?next=https://evil.example/")
    assert 'id="next" name="next" type="hidden" value=""' in page.text


def test_login_posts_are_rate_limited(app, client, make):
    user = make.candidate()
    previous = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            response = client.post("/accounts/login", data={"email": user.email, "password": "wrong-pass-1"})
            assert response.status_code == 401
        response = make.login(client, user)
        assert response.status_code == 429
        assert "Too many attempts" in response.text
        assert logged_in_email(client) is None
        assert client.get("/accounts/login").status_code == 200  # only POSTs are counted
    finally:
        app.config["LOGIN_RATE_LIMIT"] = previous


def test_logout_requires_post(client, make):
    user = make.candidate()
    make.login(client, user)
    assert client.get("/accounts/logout").status_code == 405
    assert logged_in_email(client) == user.email

    response = client.post("/accounts/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in_email(client) is None
    assert "You have logged out." in client.get("/").text


# ---- profile and password ----------------------------------------------------------------------


def test_profile_shows_the_owner_their_full_national_id(client, make):
    user = make.candidate(national_id=NID)
    assert client.get("/accounts/profile").status_code == 302  # login first
    make.login(client, user)
    page = client.get("/accounts/profile")
    assert page.status_code == 200
    assert nid.formatted(NID) in page.text
    assert user.email in page.text
    assert "Bachelor&#39;s degree" in page.text  # the education select, labelled in English
    assert "BMA temporary employee" in page.text


def test_profile_update_is_stored(client, db, make):
    user = make.candidate()
    make.login(client, user)
    response = client.post(
        "/accounts/profile",
        data={
            "education_level": EducationLevel.MASTER,
            "degree_name": "วิทยาศาสตรมหาบัณฑิต",
            "field_of_study": "วิทยาการคอมพิวเตอร์",
            "institution": "จุฬาลงกรณ์มหาวิทยาลัย",
            "gpa": "3.75",
            "graduation_date": "2020-05-30",
            "employment_type": EmploymentType.BMA_TEMPORARY,
            "bma_service_start": "2018-10-01",
            "disability_card_no": "",
            "disability_type": "",
        },
    )
    assert response.status_code == 302
    assert "Your profile has been saved." in client.get("/accounts/profile").text

    db.session.expire_all()
    profile = db.session.get(User, user.id).profile
    assert profile.education_level == EducationLevel.MASTER
    assert profile.gpa == Decimal("3.75")
    assert profile.graduation_date == date(2020, 5, 30)
    assert profile.employment_type == EmploymentType.BMA_TEMPORARY
    assert profile.bma_service_start == date(2018, 10, 1)
    assert profile.institution == "จุฬาลงกรณ์มหาวิทยาลัย"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "profile.update"))

    # Blank choices and dates are stored as "not given" (a browser sends every field).
    response = client.post(
        "/accounts/profile",
        data={
            "education_level": "",
            "degree_name": "",
            "field_of_study": "",
            "institution": "",
            "gpa": "",
            "graduation_date": "",
            "employment_type": EmploymentType.NONE,
            "bma_service_start": "",
            "disability_card_no": "",
            "disability_type": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.get(User, user.id).profile
    assert profile.education_level is None and profile.gpa is None
    assert profile.bma_service_start is None and profile.degree_name == ""


def test_profile_refuses_a_gpa_out_of_range(client, db, make):
    user = make.candidate()
    make.login(client, user)
    response = client.post(
        "/accounts/profile",
        data={
            "education_level": EducationLevel.BACHELOR,
            "gpa": "4.5",
            "employment_type": EmploymentType.NONE,
        },
    )
    assert response.status_code == 422
    assert 'id="gpa-error"' in response.text and "GPA is between 0.00 and 4.00." in response.text
    db.session.expire_all()
    assert db.session.get(User, user.id).profile.gpa == Decimal("3.10")


def test_staff_see_their_details_but_have_no_qualifications_form(client, make):
    agency = make.agency()
    hr = make.hr(agency)
    make.login(client, hr)
    page = client.get("/accounts/profile")
    assert page.status_code == 200 and hr.email in page.text
    assert "My qualifications" not in page.text
    assert client.post("/accounts/profile", data={"employment_type": "none"}).status_code == 403


def test_change_password(client, db, make):
    user = make.candidate()
    make.login(client, user)
    assert client.get("/accounts/password").status_code == 200

    response = client.post(
        "/accounts/password",
        data={
            "old_password": "not-my-password-1",
            "password": "new-secret-2026",
            "password_confirm": "new-secret-2026",
        },
    )
    assert response.status_code == 422
    assert 'id="old_password-error"' in response.text
    assert "The current password is wrong." in response.text

    response = client.post(
        "/accounts/password",
        data={"old_password": PASSWORD, "password": "new-secret-2026", "password_confirm": "new-secret-2026"},
    )
    assert response.status_code == 302
    assert "Your password has been changed." in client.get("/accounts/profile").text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password"))

    client.post("/accounts/logout")
    assert make.login(client, user).status_code == 401  # the old password no longer works
    assert make.login(client, user, "new-secret-2026").status_code == 302


# ---- API -----------------------------------------------------------------------------------------


def test_api_me_is_401_json_then_the_user(client, make):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["ok"] is False and response.get_json()["error"] == "unauthorized"

    user = make.candidate(national_id=NID)
    make.login(client, user)
    data = client.get("/api/me").get_json()
    assert data["id"] == user.id and data["email"] == user.email
    assert data["roles"] == ["candidate"]
    assert data["first_name_th"] == user.first_name_th
    assert data["national_id"] == nid.masked(NID)
    assert NID not in str(data)


def test_pages_render_in_thai(client_th, make):
    assert client_th.get("/accounts/register").status_code == 200
    assert client_th.get("/accounts/login").status_code == 200
    user = make.candidate(national_id=NID, birth_date=date(1995, 1, 15))
    make.login(client_th, user)
    page = client_th.get("/accounts/profile")
    assert page.status_code == 200
    assert '<html lang="th">' in page.text
    assert "15 มกราคม 2538" in page.text  # the birth date in the Buddhist Era
    assert nid.formatted(NID) in page.text
