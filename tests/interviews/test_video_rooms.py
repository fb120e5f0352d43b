"""Online interview rooms against a real Janus (issue 17): who gets a credential for an
interview's room and when, the candidate's lobby and the chair's admission, ending the
candidate's connection, and the room's end at finalization or cancellation. Janus itself is
asked whether a token works and whether a room exists, so the refusals are the media server's,
not only the app's. (No media here: the browser test in test_video_media.py carries it.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.common.errors import Forbidden, NotAllowed
from app.extensions import db
from app.interviews import chairing, scoring, video
from app.interviews.janus import Janus
from app.interviews.models import Interview, VideoRoom
from tests.factories.panels import build, refused, score_and_submit
from tests.support import janus as janus_support

pytestmark = pytest.mark.skipif(
    not janus_support.available(), reason="needs Debian's janus (apt-get install janus)"
)


@pytest.fixture(scope="module")
def janus_server(tmp_path_factory):
    with janus_support.running_janus(tmp_path_factory.mktemp("janus")) as server:
        yield server


@pytest.fixture
def rooms_on(app, janus_server):
    """The app talks to the test's Janus for the length of one test."""
    saved = {k: app.config[k] for k in janus_server.config()}
    app.config.update(janus_server.config())
    yield janus_server
    app.config.update(saved)


@pytest.fixture
def s(db, make, rooms_on):
    return build(make, members=2, quorum=3)


def token_works(server, token: str) -> bool:
    """Whether Janus lets a browser holding `token` open a session."""
    reply = server.request({"janus": "create", "token": token})
    return reply.get("janus") == "success"


def audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_panel_members_enter_at_once_and_the_candidate_waits_until_the_chair_admits(s, rooms_on):
    chair = video.enter(s.interview, s.chair)
    member = video.enter(s.interview, s.members[0])
    assert chair["state"] == member["state"] == "in_room"
    assert chair["role"] == "chair" and member["role"] == "member"
    assert chair["token"] != member["token"]
    assert token_works(rooms_on, chair["token"]) and token_works(rooms_on, member["token"])
    room = video.room_of(s.interview)
    assert Janus().room_exists(room.room)
    # The room's id and secret never reach a browser.
    assert room.secret not in str(chair) and chair["room"] == room.room

    waiting = video.enter(s.interview, s.candidate)
    assert waiting == {"state": "lobby", "since": waiting["since"]} and waiting["since"]
    assert "token" not in waiting
    assert video.chair_view(s.interview, s.chair)["candidate_state"] == "lobby"

    refused(Forbidden, video.admit, s.interview, s.members[0])  # only the presiding chair admits
    video.admit(s.interview, s.chair)
    inside = video.enter(s.interview, s.candidate)
    assert inside["state"] == "in_room" and inside["role"] == "candidate"
    assert token_works(rooms_on, inside["token"])
    assert len({chair["token"], member["token"], inside["token"]}) == 3
    [admitted] = audits("video.admit")
    assert admitted.actor_id == s.chair.id


def test_a_recused_member_another_candidate_a_stranger_and_hr_are_refused(s, make, rooms_on):
    scoring.declare(s.interview, s.members[1], True, "my cousin")
    err = refused(Forbidden, video.enter, s.interview, s.members[1])
    assert "conflict" in err.message
    other = make.candidate()
    assert (
        "only for the candidate and the panel" in refused(Forbidden, video.enter, s.interview, other).message
    )
    refused(Forbidden, video.enter, s.interview, s.spare[0])  # a panel user not on this panel
    refused(Forbidden, video.enter, s.interview, s.hr)
    assert video.room_of(s.interview) is None  # nobody who may not enter opened it


def test_the_room_opens_fifteen_minutes_before_the_slot(db, make, rooms_on):
    s = build(make, starts_in=timedelta(minutes=20), status="confirmed")
    err = refused(NotAllowed, video.enter, s.interview, s.chair)
    assert "15 minutes before" in err.message
    s.slot.starts_at = s.slot.starts_at - timedelta(minutes=6)
    s.slot.ends_at = s.slot.ends_at - timedelta(minutes=6)
    db.session.commit()
    assert video.enter(s.interview, s.chair)["state"] == "in_room"


def test_the_chair_ends_the_candidates_connection_and_janus_no_longer_takes_their_token(s, rooms_on):
    video.enter(s.interview, s.chair)
    video.enter(s.interview, s.candidate)
    video.admit(s.interview, s.chair)
    token = video.enter(s.interview, s.candidate)["token"]
    video.end_candidate(s.interview, s.chair, "poor connection, will readmit")
    assert not token_works(rooms_on, token)
    assert video.room_of(s.interview).candidate_state == "ended"
    [ended] = audits("video.end_candidate")
    assert ended.after["reason"] == "poor connection, will readmit"
    # Back in the lobby if they return; admitted again, the same credential works again.
    assert video.enter(s.interview, s.candidate)["state"] == "lobby"
    video.admit(s.interview, s.chair)
    assert token_works(rooms_on, video.enter(s.interview, s.candidate)["token"])


def test_finalizing_the_interview_destroys_the_room_and_revokes_every_credential(s, rooms_on):
    chair = video.enter(s.interview, s.chair)["token"]
    member = video.enter(s.interview, s.members[0])["token"]
    name = video.room_of(s.interview).room
    for n, user in enumerate(s.everyone):
        score_and_submit(s, user, str(20 + n), "15")
    chairing.finalize(s.interview, s.chair)
    assert not Janus().room_exists(name)
    assert not token_works(rooms_on, chair) and not token_works(rooms_on, member)
    assert video.room_of(s.interview).closed_at is not None
    assert "over" in refused(NotAllowed, video.enter, s.interview, s.chair).message
    assert [a.after["reason"] for a in audits("video.room_close")] == ["finalized"]


def test_the_sweep_closes_the_room_of_a_cancelled_interview(s, rooms_on):
    video.enter(s.interview, s.chair)
    name = video.room_of(s.interview).room
    s.interview.status = "cancelled"
    db.session.commit()
    assert video.sweep()["closed"] == 1
    assert not Janus().room_exists(name)
    assert video.sweep()["closed"] == 0


def test_a_room_the_media_server_forgot_is_made_again_with_the_credentials(s, rooms_on):
    """Janus keeps rooms and tokens in memory: after a restart the next entry recreates both."""
    token = video.enter(s.interview, s.chair)["token"]
    room = db.session.scalar(select(VideoRoom).where(VideoRoom.interview_id == s.interview.id))
    janus = Janus()
    janus.destroy_room(room.room, room.secret)
    janus.remove_token(token)
    assert not token_works(rooms_on, token)
    assert video.enter(s.interview, s.members[0])["state"] == "in_room"
    assert janus.room_exists(room.room) and token_works(rooms_on, token)


def test_the_room_calls_and_pages_over_http(app, s, make, rooms_on):
    candidate = make.client_for(app, s.candidate, lang="th")
    stranger = make.client_for(app, make.candidate(), lang="th")
    member = make.client_for(app, s.members[0], lang="th")
    chair = make.client_for(app, s.chair, lang="th")
    json = {"Accept": "application/json"}

    r = candidate.post(f"/video/{s.interview.id}/enter", headers=json)
    assert r.status_code == 200 and r.get_json()["state"] == "lobby"
    r = stranger.post(f"/video/{s.interview.id}/enter", headers=json)
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert "ห้อง" in r.get_json()["message"]  # in the page's language (Thai)
    r = member.post(f"/video/{s.interview.id}/admit", headers=json)
    assert r.status_code == 403
    assert chair.get(f"/video/{s.interview.id}/state", headers=json).get_json()["candidate_state"] == "lobby"
    assert (
        chair.post(f"/video/{s.interview.id}/admit", headers=json).get_json()["candidate_state"] == "admitted"
    )
    assert candidate.post(f"/video/{s.interview.id}/enter", headers=json).get_json()["state"] == "in_room"

    page = candidate.get(f"/interviews/{s.interview.id}/room")
    assert page.status_code == 200
    assert "บัตรประจำตัวประชาชน" in page.get_data(as_text=True)  # what to have at hand
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    assert "microphone=(self)" in page.headers["Permissions-Policy"]
    assert "camera=()" in candidate.get("/interviews").headers["Permissions-Policy"]
    assert stranger.get(f"/interviews/{s.interview.id}/room").status_code in (403, 404)
    panel_page = chair.get(f"/panel/interviews/{s.interview.id}")
    assert 'id="video-room"' in panel_page.get_data(as_text=True)
    assert "camera=(self)" in panel_page.headers["Permissions-Policy"]
    check = candidate.get("/interviews/device-check")
    assert check.status_code == 200 and "camera=(self)" in check.headers["Permissions-Policy"]


def test_no_media_server_means_the_meeting_link(app, db, make):
    s = build(make)
    assert app.config["JANUS_URL"] == ""
    assert not video.has_room(s.interview)
    err = refused(NotAllowed, video.enter, s.interview, s.chair)
    assert "no room on the platform" in err.message
    page = make.client_for(app, s.chair).get(f"/panel/interviews/{s.interview.id}").get_data(as_text=True)
    assert 'id="video-room"' not in page and "meet.example.test" in page


def test_turn_credentials_follow_coturns_shared_secret_scheme(app):
    import base64
    import hashlib
    import hmac

    saved = app.config["TURN_URLS"], app.config["TURN_SECRET"]
    app.config.update(TURN_URLS=["turn:turn.example.test:3478?transport=udp"], TURN_SECRET="s3cret")
    try:
        with app.app_context():
            [server] = video.ice_servers(42, at=1_000_000)
    finally:
        app.config["TURN_URLS"], app.config["TURN_SECRET"] = saved
    expiry, user = server["username"].split(":")
    assert user == "42" and int(expiry) == 1_000_000 + app.config["TURN_TTL_SECONDS"]
    expected = base64.b64encode(hmac.new(b"s3cret", server["username"].encode(), hashlib.sha1).digest())
    assert server["credential"] == expected.decode()


def test_interview_status_is_untouched_by_the_room(s, rooms_on):
    video.enter(s.interview, s.chair)
    video.enter(s.interview, s.candidate)
    assert db.session.get(Interview, s.interview.id).status == "checked_in"


@pytest.mark.browser
def test_the_room_pages_in_thai_are_accessible_and_say_what_to_do(app, s, make, page, rooms_on):
    """The device check without a camera it may use says so; the candidate's room page shows
    the lobby; both at zero serious axe violations (Chromium here has no fake devices)."""
    from tests.support.browser import serious_violations

    page.goto("/accounts/login")
    page.fill("#email", s.candidate.email)
    page.fill("#password", make.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()

    page.goto("/interviews/device-check")
    page.click("#device-check-start")
    page.wait_for_function("() => document.getElementById('video-status').textContent.length > 0")
    status = page.locator("#video-status").inner_text()
    assert "กล้อง" in status  # refused or not found, in Thai, with what to do
    assert serious_violations(page) == []

    page.goto(f"/interviews/{s.interview.id}/room")
    assert "บัตรประจำตัวประชาชน" in page.locator("main").inner_text()
    page.click("#video-start")
    page.wait_for_function("() => document.body.dataset.videoState === 'lobby'")
    assert "ห้องรอ" in page.locator("#video-status").inner_text()
    assert serious_violations(page) == []


def test_a_recorded_interview_asks_the_candidate_to_consent_before_the_lobby(s, rooms_on):
    s.agency.records_interviews = True
    db.session.commit()
    chair = video.enter(s.interview, s.chair)
    assert chair["recording"] is True
    room = video.room_of(s.interview)
    listed = Janus().videoroom({"request": "list", "admin_key": rooms_on.room_admin_key})["list"]
    [on_server] = [r for r in listed if r["room"] == room.room]
    assert on_server["record"] is True
    assert video.enter(s.interview, s.candidate) == {"state": "consent", "keep_days": 90}
    assert room.candidate_state == "absent"  # not in the lobby without consent
    assert video.enter(s.interview, s.candidate, consent=True)["state"] == "lobby"
    [consent] = audits("video.recording_consent")
    assert consent.actor_id == s.candidate.id and consent.after["keep_days"] == 90
    video.admit(s.interview, s.chair)
    assert video.enter(s.interview, s.candidate)["state"] == "in_room"  # consent is kept


def test_recordings_reach_only_the_rounds_hr_and_panel_and_go_after_the_retention(app, s, make, tmp_path):
    from app.interviews.models import InterviewRecording

    saved = app.config["VIDEO_RECORDINGS_DIR"]
    app.config["VIDEO_RECORDINGS_DIR"] = str(tmp_path)
    try:
        (tmp_path / "iv-room").mkdir()
        (tmp_path / "iv-room" / "chair-video.webm").write_bytes(b"\x1a\x45\xdf\xa3webm")
        rec = InterviewRecording(
            interview_id=s.interview.id,
            stored_name="iv-room/chair-video.webm",
            kind="video",
            content_type="video/webm",
            size=8,
            delete_after=s.slot.starts_at + timedelta(days=90),
        )
        db.session.add(rec)
        db.session.commit()
        url = f"/interviews/{s.interview.id}/recordings/{rec.id}"
        scoring.declare(s.interview, s.members[1], True, "a neighbour")
        assert make.client_for(app, s.chair).get(url).data.startswith(b"\x1a\x45")
        assert make.client_for(app, s.hr).get(url).status_code == 200
        assert make.client_for(app, s.members[1]).get(url).status_code == 403  # recused
        assert make.client_for(app, s.candidate).get(url).status_code == 403
        assert make.client_for(app, make.hr(make.agency())).get(url).status_code == 403
        page = make.client_for(app, s.chair).get(f"/panel/interviews/{s.interview.id}").get_data(as_text=True)
        assert url in page

        assert video.delete_expired_recordings(at=s.slot.starts_at + timedelta(days=89)) == 0
        assert video.delete_expired_recordings(at=s.slot.starts_at + timedelta(days=91)) == 1
        assert not (tmp_path / "iv-room" / "chair-video.webm").exists()
        assert make.client_for(app, s.chair).get(url).status_code == 404
        [deleted] = audits("video.recording_deleted")
        assert deleted.after["file"] == "iv-room/chair-video.webm"
    finally:
        app.config["VIDEO_RECORDINGS_DIR"] = saved


def test_an_administrator_turns_recording_on_for_an_agency_and_it_is_audited(app, db, make):
    agency = make.agency()
    admin = make.user("admin")
    client = make.client_for(app, admin)
    r = client.post(
        f"/admin/agencies/{agency.id}/edit",
        data={
            "code": agency.code,
            "name_th": agency.name_th,
            "name_en": agency.name_en,
            "kind": agency.kind,
            "active": "y",
            "records_interviews": "y",
        },
    )
    assert r.status_code == 302
    db.session.refresh(agency)
    assert agency.records_interviews is True
    [change] = audits("agency.update")
    assert change.after == {"records_interviews": True} and change.actor_id == admin.id


def test_a_named_substitute_enters_and_an_acting_chair_admits_in_place_of_a_recused_chair(s, rooms_on):
    substitute = s.spare[0]
    scoring.declare(s.interview, s.chair, True, "the candidate is my niece")
    scoring.declare(s.interview, s.members[0], False)
    chairing.name_acting_chair(s.interview, s.hr, s.members[0])
    chairing.name_substitute(s.interview, s.members[0], substitute)
    assert "conflict" in refused(Forbidden, video.enter, s.interview, s.chair).message
    acting = video.enter(s.interview, s.members[0])
    assert acting["role"] == "chair"
    assert video.enter(s.interview, substitute)["role"] == "member"
    video.enter(s.interview, s.candidate)
    refused(scoring.Recused, video.admit, s.interview, s.chair)
    video.admit(s.interview, s.members[0])
    assert video.enter(s.interview, s.candidate)["state"] == "in_room"
