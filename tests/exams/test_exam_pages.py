"""The candidate's pages of the online test: my exams, the admission ticket, check-in, the test
page shell and the result, through the HTTP client (and the socket client for the system check)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from app.audit.services import entries_for
from app.exams import answering, sitting_control, starting, submission
from app.exams.models import Attempt, Seat
from app.extensions import db as _db
from app.extensions import socketio
from tests.factories import exams as eh

EXAM_JS = Path(__file__).resolve().parents[2] / "app" / "static" / "js" / "exam.js"


@pytest.fixture
def setup(db, make):
    """A sitting starting in 10 minutes (check-in open) with one seated candidate."""
    eh.bank()
    exam = eh.exam(duration=30, policy="after_publication")
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=10))
    cand, seat = eh.seated(make, sitting, extra_time_percent=25, large_text=True)
    return dict(exam=exam, sitting=sitting, hr=hr, cand=cand, seat=seat)


def login(client, make, user):
    assert make.login(client, user).status_code == 302
    return client


def url(sitting, page: str) -> str:
    return f"/exams/sittings/{sitting.id}/{page}"


def fresh(model, id_):
    _db.session.expire_all()  # read what the server committed
    return _db.session.get(model, id_)


def check_in_form(cand, **over):
    data = {
        "national_id_last4": cand.national_id[-4:],
        "birth_date": cand.birth_date.isoformat(),
        "accept_rules": "y",
        "websocket_ok": "1",
        "rtt_ms": "42",
        "clock_offset_ms": "-120",
    }
    data.update(over)
    return data


def html(resp) -> str:
    return resp.get_data(as_text=True)


# ---- my exams -------------------------------------------------------------------------------


def test_my_exams_lists_only_the_candidates_own_seats(client, make, setup):
    s = setup
    other_sitting, _hr = eh.sitting(make, s["exam"], starts_in=timedelta(hours=5))
    other_sitting.title_en = "Someone else's sitting"
    _db.session.commit()
    eh.seated(make, other_sitting)
    s["sitting"].title_en = "Morning sitting"
    _db.session.commit()

    page = html(login(client, make, s["cand"]).get("/exams"))
    assert "Morning sitting" in page and "Someone else's sitting" not in page
    assert "Room 101, seat A1" in page
    assert "Check in now" in page
    assert url(s["sitting"], "ticket.pdf") in page and url(s["sitting"], "check-in") in page
    assert url(s["sitting"], "test") not in page  # not checked in yet


def test_my_exams_says_when_check_in_opens_and_follows_the_attempt(client, make, setup):
    s = setup
    later, _hr = eh.sitting(make, s["exam"], starts_in=timedelta(hours=3))
    sitting_control.add_seat(later, s["cand"], room="202", seat_number="B7")
    login(client, make, s["cand"])
    page = html(client.get("/exams"))
    assert "Check-in not open yet" in page and "Room 202, seat B7" in page

    eh.check_in(s["cand"], s["seat"])
    page = html(client.get("/exams"))
    assert "Checked in" in page and url(s["sitting"], "test") in page
    sitting_control.start_sitting(s["sitting"], s["hr"])
    starting.begin_if_due(s["seat"].attempt)
    assert "In progress" in html(client.get("/exams"))
    submission.submit(s["seat"].attempt, "candidate")
    page = html(client.get("/exams"))
    assert "Submitted" in page and url(s["sitting"], "result") in page
    assert "Score" not in page  # after_publication: no score on the list either


def test_my_exams_is_for_candidates(client, make, setup):
    assert client.get("/exams").status_code == 302  # anonymous: to the login page
    login(client, make, setup["hr"])
    assert client.get("/exams").status_code == 403


def test_my_exams_in_thai(client_th, make, setup):
    page = html(login(client_th, make, setup["cand"]).get("/exams"))
    assert '<html lang="th">' in page and "รอบสอบทดสอบ" in page


# ---- the admission ticket -------------------------------------------------------------------


def test_the_admission_ticket_is_a_pdf_for_its_owner_only(client, make, setup, app):
    s = setup
    login(client, make, s["cand"])
    resp = client.get(url(s["sitting"], "ticket.pdf"))
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert resp.headers["Content-Disposition"].startswith("inline; filename=")

    intruder = app.test_client()
    login(intruder, make, make.candidate())
    assert intruder.get(url(s["sitting"], "ticket.pdf")).status_code == 403
    assert intruder.get("/exams/sittings/999999/ticket.pdf").status_code == 404


def test_the_ticket_carries_the_masked_id_and_the_accommodations(setup):
    from app.exams import candidate

    s = setup
    ticket = candidate.admission_ticket(s["seat"], "https://example.test/check-in")
    assert ticket.national_id_masked.startswith("X-XXXX-XXXX") and ticket.national_id_masked.endswith(
        s["cand"].national_id[-1]
    )
    assert s["cand"].national_id not in ticket.national_id_masked
    assert ticket.application_number == "-" and ticket.room == "101" and ticket.seat == "A1"
    assert any("25" in line for line in ticket.accommodations) and len(ticket.accommodations) == 2
    assert "เข้าสอบด้วยบัญชีของตนเองเท่านั้น" in ticket.rules[0]


# ---- check-in -------------------------------------------------------------------------------


def test_check_in_shows_the_rules_and_the_system_check(client, make, setup):
    page = html(login(client, make, setup["cand"]).get(url(setup["sitting"], "check-in")))
    assert "Exam rules" in page and "Do not open other windows or tabs" in page
    assert 'id="exam-syscheck"' in page and 'name="websocket_ok"' in page
    assert "/static/vendor/socket.io/socket.io.min.js" in page


def test_check_in_with_wrong_digits_is_refused_and_changes_nothing(client, make, setup):
    s = setup
    login(client, make, s["cand"])
    wrong = "0000" if not s["cand"].national_id.endswith("0000") else "1111"
    resp = client.post(url(s["sitting"], "check-in"), data=check_in_form(s["cand"], national_id_last4=wrong))
    assert resp.status_code == 422
    assert "do not match our records" in html(resp)
    seat = fresh(Seat, s["seat"].id)
    assert seat.checked_in_at is None and seat.attempt is None
    assert [e.action for e in entries_for("seats", seat.id)][-1] == "seat.checkin_failed"

    resp = client.post(url(s["sitting"], "check-in"), data=check_in_form(s["cand"], national_id_last4="12a4"))
    assert resp.status_code == 422 and "Enter exactly four digits." in html(resp)
    resp = client.post(url(s["sitting"], "check-in"), data=check_in_form(s["cand"], accept_rules=""))
    assert resp.status_code == 422 and "You must accept the exam rules" in html(resp)
    assert fresh(Seat, s["seat"].id).attempt is None


def test_check_in_before_it_opens_says_when(client, make, setup):
    s = setup
    later, _hr = eh.sitting(make, s["exam"], starts_in=timedelta(hours=3))
    sitting_control.add_seat(later, s["cand"])
    login(client, make, s["cand"])
    page = html(client.get(url(later, "check-in")))
    assert "Check-in is not open yet" in page and 'name="national_id_last4"' not in page
    resp = client.post(url(later, "check-in"), data=check_in_form(s["cand"]))
    assert resp.status_code == 422 and "Check-in opens at" in html(resp)


def test_check_in_builds_the_form_and_leads_to_the_test(client, make, setup):
    s = setup
    login(client, make, s["cand"])
    resp = client.post(url(s["sitting"], "check-in"), data=check_in_form(s["cand"]))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url(s["sitting"], "test"))
    seat = fresh(Seat, s["seat"].id)
    assert seat.checked_in_at is not None and seat.attempt is not None
    assert len(seat.attempt.form) == 6 and seat.attempt.status == "not_started"
    assert seat.system_check == {"websocket_ok": True, "rtt_ms": 42.0, "clock_offset_ms": -120.0}
    page = html(client.get(url(s["sitting"], "check-in")))
    assert "You have checked in." in page and url(s["sitting"], "test") in page


def test_someone_elses_check_in_is_forbidden(client, make, setup):
    login(client, make, make.candidate())
    assert client.get(url(setup["sitting"], "check-in")).status_code == 403
    assert (
        client.post(url(setup["sitting"], "check-in"), data=check_in_form(setup["cand"])).status_code == 403
    )
    assert fresh(Seat, setup["seat"].id).checked_in_at is None


def test_the_system_check_can_sync_before_joining(app, make, setup):
    """The check-in page measures RTT and clock offset with `sync` on a fresh connection."""
    http = app.test_client()
    login(http, make, setup["cand"])
    sock = socketio.test_client(app, namespace="/exam", flask_test_client=http)
    ack = sock.emit("sync", {"client_time": 1234}, namespace="/exam", callback=True)
    assert ack["ok"] and ack["client_time"] == 1234 and isinstance(ack["server_ms"], int)


# ---- the test page --------------------------------------------------------------------------


def test_the_test_page_needs_check_in(client, make, setup):
    s = setup
    login(client, make, s["cand"])
    resp = client.get(url(s["sitting"], "test"))
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(url(s["sitting"], "check-in"))


def test_the_test_page_is_a_shell_for_exam_js(client, make, setup):
    s = setup
    attempt = eh.check_in(s["cand"], s["seat"])
    page = html(login(client, make, s["cand"]).get(url(s["sitting"], "test")))
    assert '<script src="/static/vendor/socket.io/socket.io.min.js"></script>' in page
    assert '<script src="/static/js/exam.js"></script>' in page
    assert "http://" not in page and "https://" not in page  # nothing from outside the app
    config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))
    assert config["sitting_id"] == s["sitting"].id and config["attempt_id"] == attempt.id
    assert config["large_text"] is True and config["high_contrast"] is False
    assert config["timing_mode"] == "synchronized" and config["locale"] == "en"
    # Every message exam.js asks for is in the page, translated by the server.
    messages = json.loads(re.search(r'id="exam-messages">(.*?)</script>', page, re.S).group(1))
    used = set(re.findall(r'(?<![\w.])t\("(\w+)"', EXAM_JS.read_text()))
    syscheck = {
        "checking",
        "ws_ok",
        "polling_ok",
        "rtt",
        "rtt_good",
        "rtt_fair",
        "rtt_slow",
        "clock_same",
        "clock_off",
        "failed",
    }
    assert used - syscheck <= set(messages), used - syscheck - set(messages)
    assert messages["waiting_proctor"] == "The test begins when the proctor starts it."
    for landmark in (
        "exam-waiting",
        "exam-timer",
        "exam-palette-list",
        "exam-submit-dialog",
        "exam-stopped",
        'aria-live="assertive"',
    ):
        assert landmark in page


def test_the_check_in_page_has_every_system_check_message(client, make, setup):
    page = html(login(client, make, setup["cand"]).get(url(setup["sitting"], "check-in")))
    messages = json.loads(re.search(r'id="exam-messages">(.*?)</script>', page, re.S).group(1))
    assert {
        "checking",
        "ws_ok",
        "polling_ok",
        "rtt",
        "rtt_good",
        "rtt_fair",
        "rtt_slow",
        "clock_same",
        "clock_off",
        "failed",
    } <= set(messages)


def test_someone_elses_test_page_is_forbidden(client, make, setup):
    eh.check_in(setup["cand"], setup["seat"])
    login(client, make, make.candidate())
    assert client.get(url(setup["sitting"], "test")).status_code == 403


def test_exam_js_is_valid_javascript():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run([node, "--check", str(EXAM_JS)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


# ---- the result -----------------------------------------------------------------------------


def _sit_and_submit(s, right: int):
    attempt = eh.check_in(s["cand"], s["seat"])
    sitting_control.start_sitting(s["sitting"], s["hr"])
    starting.begin_if_due(attempt)
    for index in range(len(attempt.form)):
        answering.record_answer(attempt, index, "b" if index < right else "a", seq=index + 1)
    return submission.submit(attempt, "candidate")


def test_the_result_waits_for_hr_when_the_policy_says_so(client, make, setup):
    s = setup
    login(client, make, s["cand"])
    assert "You have not submitted this test" in html(client.get(url(s["sitting"], "result")))
    attempt = _sit_and_submit(s, right=6)
    assert fresh(Attempt, attempt.id).passed is True  # scored, but not shown
    page = html(client.get(url(s["sitting"], "result")))
    assert "The results will be announced by HR." in page
    assert "Passed" not in page and "Score per section" not in page


def test_the_result_shows_at_once_when_the_policy_allows(client, make, setup):
    s = setup
    s["exam"].results_policy = "immediate"
    _db.session.commit()
    _sit_and_submit(s, right=4)  # 4 of 6 = 66.7% >= 60%
    login(client, make, s["cand"])
    page = html(client.get(url(s["sitting"], "result")))
    assert "Passed" in page and "4 of 6 points" in page and "the pass mark is 60%" in page
    assert "Score per section" in page and page.count('<th scope="row">') == 3  # sections, total
    assert "built-in method" not in page
    assert re.search(r"\d of 3</td>", page)  # correct answers of the section's 3 questions
    assert "Score 4 of 6" in html(client.get("/exams"))


def test_the_result_page_links_the_pass_certificate_once_issued(client, make, setup):
    from app.exams import certificates

    s = setup
    attempt = _sit_and_submit(s, right=6)
    login(client, make, s["cand"])
    assert "pass certificate" not in html(client.get(url(s["sitting"], "result")))
    cert = certificates.issue_certificate(attempt)
    page = html(client.get(url(s["sitting"], "result")))
    assert f"/exams/certificates/{cert.code}.pdf" in page


def test_a_failed_result_says_so(client, make, setup):
    s = setup
    s["exam"].results_policy = "immediate"
    _db.session.commit()
    _sit_and_submit(s, right=3)
    login(client, make, s["cand"])
    page = html(client.get(url(s["sitting"], "result")))
    assert "Not passed" in page and "3 of 6 points" in page


def test_someone_elses_result_is_forbidden(client, make, setup):
    login(client, make, make.candidate())
    assert client.get(url(setup["sitting"], "result")).status_code == 403
