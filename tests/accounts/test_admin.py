"""Administration journeys: agencies, staff accounts and roles, the audit log and its chain."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from app.accounts.models import Role, User, UserRole
from app.agencies import services as agency_services
from app.agencies.models import Agency
from app.audit.models import AuditEntry
from app.common import national_id as nid
from app.common.clock import frozen_at
from app.common.errors import ValidationFailed

STAFF_PASSWORD = "Initial-pass-2569"


def log_in(client, make, user):
    """Log in through the login page."""
    response = make.login(client, user)
    assert response.status_code == 302


@pytest.fixture
def admin(client, make):
    user = make.user(Role.ADMIN, first_name_en="Ada", last_name_en="Admin")
    log_in(client, make, user)
    return user


def page(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(db, object_type: str, object_id) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
    )


def roles_of(db, user_id: int) -> set[str]:
    return set(db.session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


# ---- access ------------------------------------------------------------------------------


def test_only_administrators_reach_any_admin_page(app, db, make):
    agency = make.agency()
    other = make.user(Role.PANEL)
    gets = [
        "/admin/",
        "/admin/agencies",
        "/admin/agencies/new",
        f"/admin/agencies/{agency.id}/edit",
        "/admin/users",
        f"/admin/users/{other.id}",
        "/admin/users/new",
        "/admin/audit",
    ]
    posts = {
        "/admin/agencies/new": {"code": "X1", "name_th": "ก", "name_en": "X", "kind": "office"},
        f"/admin/agencies/{agency.id}/edit": {"code": "X2", "name_th": "ก", "name_en": "X", "kind": "office"},
        "/admin/users/new": {
            "email": "x@bma.go.th",
            "first_name_th": "ก",
            "last_name_th": "ข",
            "password": STAFF_PASSWORD,
        },
        f"/admin/users/{other.id}/roles": {"role": "admin"},
        f"/admin/users/{other.id}/roles/panel/revoke": {},
        f"/admin/users/{other.id}/agency": {"agency_id": agency.id},
        f"/admin/users/{other.id}/deactivate": {},
        f"/admin/users/{other.id}/activate": {},
        "/admin/audit/verify": {},
    }
    for intruder in (make.candidate(), make.hr(agency), make.hr(agency, approver=True)):
        client = app.test_client()
        log_in(client, make, intruder)
        for url in gets:
            assert client.get(url).status_code == 403, (intruder.role_names, url)
        for url, data in posts.items():
            assert client.post(url, data=data).status_code == 403, (intruder.role_names, url)
    # Nothing an intruder posted was stored.
    assert db.session.scalar(select(Agency).where(Agency.code.in_(["X1", "X2"]))) is None
    assert db.session.scalar(select(User).where(User.email == "x@bma.go.th")) is None
    assert roles_of(db, other.id) == {Role.PANEL}
    assert db.session.get(User, other.id).active
    # Someone not logged in is sent to the login page.
    anonymous = app.test_client().get("/admin/users")
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous.headers["Location"]


def test_dashboard_counts(client, make, admin):
    agency = make.agency()
    make.candidate()
    make.hr(agency)
    make.round_(agency)
    body = page(client.get("/admin/"))
    assert "Administration" in body and "3 accounts" in body and "1 agencies" in body
    assert 'href="/admin/users?role=hr_officer">HR officer</a>' in body
    assert "/admin/audit" in body and "/admin/users/new" in body


# ---- agencies ----------------------------------------------------------------------------


def test_admin_creates_and_edits_an_agency(client, db, admin):
    response = client.post(
        "/admin/agencies/new",
        data={
            "code": "DIST-PN",
            "name_th": "สำนักงานเขตพระนคร",
            "name_en": "Phra Nakhon District Office",
            "kind": "district",
            "active": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Agency DIST-PN created." in page(response) and "สำนักงานเขตพระนคร" in page(response)
    agency = db.session.scalar(select(Agency).where(Agency.code == "DIST-PN"))
    assert agency.name_en == "Phra Nakhon District Office" and agency.kind == "district"
    assert agency.active
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agency.create"))
    assert entry.actor_id == admin.id and entry.object_id == str(agency.id)
    assert entry.after["name_th"] == "สำนักงานเขตพระนคร"

    # The same code again (in any letter case) is refused and nothing is added.
    response = client.post(
        "/admin/agencies/new",
        data={"code": "dist-pn", "name_th": "ซ้ำ", "name_en": "Duplicate", "kind": "office"},
    )
    assert response.status_code == 422
    assert "Another agency already uses the code dist-pn." in page(response)
    assert db.session.scalar(select(Agency).where(Agency.name_th == "ซ้ำ")) is None

    # A missing English name is refused by the form.
    response = client.post(
        "/admin/agencies/new", data={"code": "NEW1", "name_th": "ใหม่", "name_en": "", "kind": "office"}
    )
    assert response.status_code == 422 and "This field is required." in page(response)

    # Edit: a new English name, and the agency is made inactive (checkbox left unticked).
    form = page(client.get(f"/admin/agencies/{agency.id}/edit"))
    assert 'value="DIST-PN"' in form and "Edit agency DIST-PN" in form
    response = client.post(
        f"/admin/agencies/{agency.id}/edit",
        data={
            "code": "DIST-PN",
            "name_th": "สำนักงานเขตพระนคร",
            "name_en": "Phra Nakhon District",
            "kind": "district",
        },
        follow_redirects=True,
    )
    assert "Agency DIST-PN saved." in page(response) and "inactive" in page(response)
    db.session.expire_all()
    agency = db.session.get(Agency, agency.id)
    assert agency.name_en == "Phra Nakhon District" and not agency.active
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agency.update"))
    assert entry.before == {"name_en": "Phra Nakhon District Office", "active": True}
    assert entry.after == {"name_en": "Phra Nakhon District", "active": False}


def test_editing_an_agency_to_another_agencys_code_is_refused(client, db, make, admin):
    make.agency("AG-ONE")
    second = make.agency("AG-TWO")
    response = client.post(
        f"/admin/agencies/{second.id}/edit",
        data={
            "code": "AG-ONE",
            "name_th": second.name_th,
            "name_en": second.name_en,
            "kind": "department",
            "active": "y",
        },
    )
    assert response.status_code == 422
    assert "Another agency already uses the code AG-ONE." in page(response)
    db.session.expire_all()
    assert db.session.get(Agency, second.id).code == "AG-TWO"
    assert audit_actions(db, "agencies", second.id) == []


def test_agency_service_refuses_empty_names(db, admin):
    with pytest.raises(ValidationFailed) as err:
        agency_services.create_agency(admin, code="EMPTY", name_th="   ", name_en="Empty")
    assert err.value.field == "name_th"
    db.session.rollback()
    assert db.session.scalar(select(Agency)) is None


# ---- users -------------------------------------------------------------------------------


def staff_form(agency=None, **overrides) -> dict:
    data = {
        "email": "somsak.hr@bma.go.th",
        "first_name_th": "สมศักดิ์",
        "last_name_th": "บุคคล",
        "first_name_en": "Somsak",
        "last_name_en": "Bukkon",
        "password": STAFF_PASSWORD,
        "agency_id": agency.id if agency else 0,
        "roles": ["hr_officer"],
    }
    data.update(overrides)
    return data


def test_admin_creates_an_hr_officer_account(client, db, make, admin):
    agency = make.agency("DIST-BR", name_th="สำนักงานเขตบางรัก")
    response = client.post("/admin/users/new", data=staff_form(agency), follow_redirects=True)
    assert response.status_code == 200
    body = page(response)
    assert "Account created for somsak.hr@bma.go.th." in body
    assert "HR officer" in body and "DIST-BR" in body
    user = db.session.scalar(select(User).where(User.email == "somsak.hr@bma.go.th"))
    assert user.agency_id == agency.id and user.active and user.national_id is None
    link = db.session.scalar(select(UserRole).where(UserRole.user_id == user.id))
    assert link.role == Role.HR_OFFICER and link.granted_by_id == admin.id
    assert audit_actions(db, "users", user.id) == ["user.create", "role.grant"]


def test_an_hr_account_without_an_agency_is_refused(client, db, admin):
    response = client.post("/admin/users/new", data=staff_form(None, email="noagency@bma.go.th"))
    assert response.status_code == 422
    assert "An HR role needs the user&#39;s agency to be set first." in page(response)
    assert db.session.scalar(select(User).where(User.email == "noagency@bma.go.th")) is None
    assert db.session.scalar(select(AuditEntry)) is None


def test_a_weak_initial_password_is_refused(client, db, make, admin):
    response = client.post("/admin/users/new", data=staff_form(make.agency(), password="short"))
    assert response.status_code == 422
    assert "The password must have at least 10 characters." in page(response)
    assert db.session.scalar(select(User).where(User.email == "somsak.hr@bma.go.th")) is None


def test_granting_an_hr_role_needs_an_agency(client, db, make, admin):
    user = make.user(Role.PANEL)
    response = client.post(f"/admin/users/{user.id}/roles", data={"role": "hr_approver"})
    assert response.status_code == 422
    assert "An HR role needs the user&#39;s agency to be set first." in page(response)
    assert roles_of(db, user.id) == {Role.PANEL}
    assert audit_actions(db, "users", user.id) == []


def test_admin_sets_the_agency_then_grants_and_revokes_roles(client, db, make, admin):
    agency = make.agency("DIST-DS")
    user = make.user(Role.PANEL)

    response = client.post(
        f"/admin/users/{user.id}/agency", data={"agency_id": agency.id}, follow_redirects=True
    )
    assert "Agency saved." in page(response)
    response = client.post(
        f"/admin/users/{user.id}/roles", data={"role": "hr_approver"}, follow_redirects=True
    )
    assert "Role granted: HR approver." in page(response)
    assert roles_of(db, user.id) == {Role.PANEL, Role.HR_APPROVER}

    response = client.post(f"/admin/users/{user.id}/roles/panel/revoke", follow_redirects=True)
    assert "Role removed: Interview panel member." in page(response)
    assert roles_of(db, user.id) == {Role.HR_APPROVER}

    # The agency of an HR user cannot be removed while the HR role stays.
    response = client.post(f"/admin/users/{user.id}/agency", data={"agency_id": 0})
    assert response.status_code == 422
    assert "Remove the user&#39;s HR roles before removing the agency." in page(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).agency_id == agency.id

    assert audit_actions(db, "users", user.id) == ["user.agency", "role.grant", "role.revoke"]
    grant = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role.grant"))
    assert grant.actor_id == admin.id and grant.after == {"role": "hr_approver"}
    # The history on the user's page shows what happened.
    body = page(client.get(f"/admin/users/{user.id}"))
    assert "role.revoke" in body and "user.agency" in body


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(client, db, admin):
    response = client.post(f"/admin/users/{admin.id}/roles/admin/revoke")
    assert response.status_code == 409
    assert "You cannot remove your own administrator role." in page(response)
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "You cannot deactivate your own account." in page(response)
    db.session.expire_all()
    me = db.session.get(User, admin.id)
    assert me.active and Role.ADMIN in me.role_names
    assert audit_actions(db, "users", admin.id) == []


def test_deactivation_stops_log_in_and_ends_sessions_then_reactivation(app, client, db, make, admin):
    user = make.user(Role.PANEL)
    own = app.test_client()
    make.login(own, user)
    response = client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True)
    assert "The account is deactivated." in page(response)
    assert "deactivated" in page(response)
    db.session.expire_all()
    assert not db.session.get(User, user.id).active

    # The session the user had open ended with the deactivation.
    assert own.get("/api/me").status_code == 401
    browser = app.test_client()
    response = browser.post(
        "/accounts/login", data={"email": user.email, "password": make.PASSWORD}, follow_redirects=True
    )
    assert "This account has been deactivated." in page(response)
    with browser.session_transaction() as sess:
        assert "_user_id" not in sess

    response = client.post(f"/admin/users/{user.id}/activate", follow_redirects=True)
    assert "The account is active again." in page(response)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.active
    assert make.login(browser, user).status_code == 302
    assert audit_actions(db, "users", user.id) == ["user.active", "user.active"]


def test_user_search_by_thai_name_email_and_role(client, make, admin):
    agency = make.agency()
    make.user(
        Role.CANDIDATE,
        email="somying@example.com",
        first_name_th="สมหญิง",
        last_name_th="รักงาน",
        first_name_en="Somying",
        last_name_en="Rakngan",
    )
    make.user(
        Role.HR_OFFICER,
        agency=agency,
        email="prasert@example.com",
        first_name_th="ประเสริฐ",
        last_name_th="ดีมาก",
    )

    body = page(client.get("/admin/users", query_string={"q": "สมหญิง"}))
    assert "somying@example.com" in body and "prasert@example.com" not in body
    body = page(client.get("/admin/users", query_string={"q": "สมหญิง รักงาน"}))
    assert "somying@example.com" in body
    body = page(client.get("/admin/users", query_string={"q": "PRASERT@"}))
    assert "prasert@example.com" in body and "somying@example.com" not in body
    assert "1 users found." in body
    body = page(client.get("/admin/users", query_string={"q": "rakngan"}))
    assert "somying@example.com" in body
    body = page(client.get("/admin/users", query_string={"role": "hr_officer"}))
    assert "prasert@example.com" in body and "somying@example.com" not in body
    body = page(client.get("/admin/users", query_string={"q": "%"}))
    assert "No users match." in body


def test_user_list_has_fifty_a_page(client, make, admin):
    for i in range(50):
        make.user(Role.CANDIDATE, email=f"bulk{i:02d}@example.com")
    first = page(client.get("/admin/users"))
    assert "51 users found." in first and "Page 1 of 2" in first
    assert len(re.findall(r'href="/admin/users/\d+"', first)) == 50
    second = page(client.get("/admin/users", query_string={"page": 2}))
    assert admin.email in second and "bulk00@example.com" not in second  # newest first
    assert len(re.findall(r'href="/admin/users/\d+"', second)) == 1


def test_admin_sees_the_national_id_masked(client, make, admin):
    number = nid.complete("310050012345")
    candidate = make.candidate(national_id=number)
    body = page(client.get(f"/admin/users/{candidate.id}"))
    assert nid.masked(number) in body
    assert number not in body and nid.formatted(number) not in body


# ---- audit log ---------------------------------------------------------------------------


def test_audit_log_lists_filters_and_verifies_the_chain(client, db, make, admin):
    client.post(
        "/admin/agencies/new",
        data={
            "code": "AUD1",
            "name_th": "หน่วยตรวจ",
            "name_en": "Audit Unit",
            "kind": "office",
            "active": "y",
        },
    )
    user = make.user(Role.PANEL)
    client.post(f"/admin/users/{user.id}/roles", data={"role": "proctor"})
    client.post(f"/admin/users/{user.id}/roles/proctor/revoke")
    assert db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc())) == 3

    body = page(client.get("/admin/audit"))
    assert "3 entries." in body
    assert body.index("role.revoke") < body.index("role.grant") < body.index("agency.create")
    assert "Ada Admin" in body and "หน่วยตรวจ" in body  # the actor, and Thai JSON kept readable
    body = page(client.get("/admin/audit", query_string={"action": "role."}))
    assert "2 entries." in body and "agency.create" not in body
    body = page(client.get("/admin/audit", query_string={"object_type": "agencies"}))
    assert "1 entries." in body and "role.grant" not in body

    response = client.post("/admin/audit/verify", follow_redirects=True)
    assert "Audit chain intact: 3 entries checked." in page(response)

    db.session.execute(text("UPDATE audit_log SET action = 'role.tampered' WHERE seq = 2"))
    db.session.commit()
    response = client.post("/admin/audit/verify", follow_redirects=True)
    body = page(response)
    assert "Audit chain BROKEN at entry seq 2" in body
    assert "content does not match its hash" in body and "intact: 3" not in body


def test_a_thai_session_reads_audit_times_in_the_buddhist_era(client_th, make):
    log_in(client_th, make, make.user(Role.ADMIN))
    with frozen_at(datetime(2026, 11, 25, 2, 30, tzinfo=UTC)):
        client_th.post(
            "/admin/agencies/new",
            data={
                "code": "TH1",
                "name_th": "สำนักไทย",
                "name_en": "Thai Unit",
                "kind": "department",
                "active": "y",
            },
        )
    body = page(client_th.get("/admin/audit"))
    assert '<html lang="th">' in body
    assert "25 พ.ย. 2569 09:30 น." in body and "agency.create" in body
