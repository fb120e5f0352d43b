"""The online test in a real browser: check in with the system check, wait in the waiting room
(a focused page: no site menu) and press start, answer, lose the connection, keep answering,
come back and see every answer saved; submit and get the result and the certificate. Time
given back for a server outage is shown, and time up ends the test on its own screen. The
check-in, waiting room and test pages pass axe-core with no serious or critical violation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.common.clock import now
from app.exams import jobs, outages
from app.exams.models import Attempt, AttemptAnswer, ServerHeartbeat
from app.extensions import db
from tests.factories import exams as eh
from tests.support.browser import open_context, serious_violations
from tests.support.exam_pages import SLOW, checked_in_candidate, proctored_test_under_way, started_test_page

pytestmark = pytest.mark.browser


def stored(attempt_id: int) -> dict[int, str]:
    db.session.remove()
    return {
        a.index: a.choice
        for a in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
    }


def test_check_in_take_the_test_offline_and_back_then_submit(browser, live_server, make):
    eh.bank()  # every item's key is choice "b"
    exam = eh.exam(duration=30)
    sitting, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-5))
    cand, seat = eh.seated(make, sitting)
    email, last4, birth, sitting_id = cand.email, cand.national_id[-4:], cand.birth_date, sitting.id
    db.session.remove()

    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False, timeout=SLOW)

    # Check-in: the page measures the websocket before the candidate confirms who they are.
    page.goto(f"/exams/sittings/{sitting_id}/check-in")
    page.wait_for_function("() => document.querySelector('input[name=websocket_ok]').value !== ''")
    assert page.locator("input[name=websocket_ok]").input_value() in ("1", "true", "y", "yes")
    assert serious_violations(page) == []
    page.fill("#national_id_last4", last4)
    page.fill("#birth_date", birth.isoformat())
    page.check("#accept_rules")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/exams/sittings/{sitting_id}/test$"))

    # Checking in does not start the clock: the waiting room, with the rules and the system
    # check, on a page without the site menu; the test starts when the candidate presses start.
    page.wait_for_selector("#exam-waiting:not([hidden])")
    assert page.locator("nav.main-nav").count() == 0
    assert page.locator("#exam-system-check").inner_text().startswith("ผ่าน")
    assert page.locator(".exam-rules li").count() >= 5
    assert serious_violations(page) == []
    db.session.remove()
    attempt_id = db.session.scalar(select(Attempt.id))
    assert db.session.get(Attempt, attempt_id).status == "not_started"
    page.click("#exam-start")
    page.wait_for_selector("#exam-choice-b")
    assert serious_violations(page) == []
    db.session.remove()
    assert db.session.get(Attempt, attempt_id).status == "in_progress"

    # Questions come one at a time; those already seen stay on the page for offline moments.
    for _ in range(2):
        page.click("#exam-next")
        page.wait_for_selector("#exam-choice-b")
    for _ in range(2):
        page.click("#exam-prev")
        page.wait_for_selector("#exam-choice-b")
    page.click("label[for=exam-choice-b]")
    page.wait_for_function("() => window.examClient.outboxSize() === 0")
    assert stored(attempt_id) == {0: "b"}

    # The connection goes; the candidate keeps answering.
    context.set_offline(True)
    page.wait_for_function("() => !window.examClient.connected()")
    for _ in range(2):
        page.click("#exam-next")
        page.wait_for_selector("#exam-choice-b")
        page.click("label[for=exam-choice-b]")
    assert page.evaluate("window.examClient.outboxSize()") == 2
    assert stored(attempt_id) == {0: "b"}  # nothing unacknowledged reached the database

    context.set_offline(False)
    page.wait_for_function(
        "() => window.examClient.connected() && window.examClient.outboxSize() === 0", timeout=30000
    )
    assert stored(attempt_id) == {0: "b", 1: "b", 2: "b"}

    # The rest, then submit: the result shows at once (immediate policy) with the certificate.
    for _ in range(3):
        page.click("#exam-next")
        page.wait_for_selector("#exam-choice-b")
        page.click("label[for=exam-choice-b]")
    page.wait_for_function("() => window.examClient.outboxSize() === 0")
    page.click("#exam-submit")
    page.click("#exam-submit-confirm")
    page.wait_for_selector("#exam-end:not([hidden])")
    db.session.remove()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and attempt.score == 6 and attempt.passed
    page.goto(f"/exams/sittings/{sitting_id}/result")
    link = page.locator("a[href*='/exams/certificates/']")
    assert link.count() == 1
    pdf = page.request.get(link.first.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    context.close()


def test_the_candidate_sees_time_given_back_for_an_outage_and_the_time_up_screen(browser, live_server, make):
    eh.bank()
    who = checked_in_candidate(make, eh.exam(duration=30))
    attempt_id = who.attempt_id
    context, page = started_test_page(browser, live_server, make, who)
    page.wait_for_selector("#exam-choice-b")

    # Every server process was away for 5 min 12 s: the first beat afterwards gives it back.
    gone = now()
    outages.beat(at=gone)
    assert outages.beat(at=gone + timedelta(minutes=5, seconds=12)).changed == [attempt_id]
    db.session.query(ServerHeartbeat).delete()  # (this test's sweeper must not wait for beats)
    db.session.commit()
    page.reload()
    page.wait_for_selector("#exam-given-back:not([hidden])")
    assert "5 นาที 12 วินาที" in page.locator("#exam-given-back").inner_text()
    assert serious_violations(page) == []

    # The deadline passes: the sweeper submits, and the page shows why the test ended.
    db.session.get(Attempt, attempt_id).deadline = now() - timedelta(seconds=1)
    db.session.commit()
    assert jobs.tick()["submitted"] == [attempt_id]
    page.wait_for_selector("#exam-end:not([hidden])")
    assert "หมดเวลา" in page.locator("#exam-end").inner_text()
    assert serious_violations(page) == []
    context.close()


def test_the_proctor_sees_a_candidate_away_and_gives_the_lost_time_back(browser, live_server, make):
    from tests.support.live_client import LiveClient, logged_in_cookie

    t = proctored_test_under_way(make)
    sitting_id, seat_id, attempt_id, deadline = t.sitting_id, t.seat_id, t.attempt_id, t.deadline
    cookie = logged_in_cookie(live_server, t.email, make.PASSWORD)
    proctor_email = t.proctor_email

    candidate = LiveClient(live_server, cookie, "/exam", ("time",)).connect()
    assert candidate.call("join", {"sitting_id": sitting_id})["ok"]
    candidate.drop()  # the candidate's network goes

    context, page = open_context(
        browser, live_server, proctor_email, make.PASSWORD, english=False, timeout=SLOW
    )
    page.goto(f"/proctor/sittings/{sitting_id}")
    row = page.locator(f"tr[data-seat-id='{seat_id}'] .time-lost")
    # Away since …, and the time lost so far counting (tick by tick, between updates).
    page.wait_for_function(
        "sel => ((document.querySelector(sel) || {}).textContent || '').indexOf('เสียเวลา') >= 0",
        arg=f"tr[data-seat-id='{seat_id}'] .time-lost",
    )
    assert "หลุดการเชื่อมต่อตั้งแต่" in row.inner_text()
    assert serious_violations(page) == []
    page.locator(f"tr[data-seat-id='{seat_id}'] button", has_text="คืนเวลา").click()
    assert page.locator("#give-back-target").input_value() == str(seat_id)
    page.fill("#give-back-reason", "สัญญาณ Wi-Fi ห้อง 101 ขัดข้อง")
    page.locator("#give-back-form button[type=submit]").click()
    page.wait_for_function(
        "() => document.getElementById('action-result').textContent.indexOf('คืนเวลาแล้ว') >= 0"
    )
    db.session.remove()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.deadline > deadline and attempt.extension_seconds >= 1
    context.close()


def test_the_proctors_start_puts_the_first_question_on_the_waiting_page(browser, live_server, make, tmp_path):
    """A synchronized sitting (issue 20): the waiting page turns into the test with the first
    question on screen when the proctor starts, without asking the server for it (the start
    carries it), in the page's language."""
    from tests.support.live_client import LiveClient, logged_in_cookie

    eh.bank()
    exam = eh.exam(duration=30)
    sitting, _hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    proctor = make.proctor(sitting)
    cand, seat = eh.seated(make, sitting)
    eh.check_in(cand, seat)
    sitting_id, email, proctor_email = sitting.id, cand.email, proctor.email
    db.session.remove()

    context = browser.new_context(base_url=live_server, locale="th-TH")
    page = context.new_page()
    page.set_default_timeout(20000)
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload))))
    page.goto("/accounts/login")
    page.fill("#email", email)
    page.fill("#password", make.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"/exams/sittings/{sitting_id}/test")
    page.wait_for_selector("#exam-waiting:not([hidden])")

    proctor_socket = LiveClient(
        live_server, logged_in_cookie(live_server, proctor_email, make.PASSWORD), "/proctor", ()
    ).connect()
    assert proctor_socket.call("start", {"sitting_id": sitting_id})["ok"]
    page.wait_for_selector("#exam-choice-b")
    page.screenshot(path="/tmp/f20_started.png", full_page=True)
    assert "คำถาม" in page.locator("#exam-question").inner_text()  # the Thai stem
    # It never had to ask for it (it does fetch the next one ahead, as always).
    assert not [frame for frame in sent if '"question",{"index":0}' in frame]
    assert serious_violations(page) == []
    context.close()


def test_the_last_question_of_a_section_does_not_start_the_next_timed_section(browser, live_server, make):
    """The page asks for the neighbours of the question on screen ahead of time. On the last
    question of a section, the next one's first question is a neighbour: when that section
    has a time limit of its own, its clock starts only when the candidate goes to it."""
    eh.bank()
    exam = eh.exam(duration=30)
    exam.sections = [exam.sections[0], dict(exam.sections[1], time_limit_minutes=10)]
    db.session.commit()
    timed = exam.sections[1]["code"]
    who = checked_in_candidate(make, exam)
    form = db.session.get(Attempt, who.attempt_id).form
    first_timed = next(i for i, q in enumerate(form) if q["section"] == timed)
    assert first_timed > 0
    db.session.remove()

    def started_sections() -> dict:
        db.session.remove()
        return db.session.get(Attempt, who.attempt_id).section_started

    context, page = started_test_page(browser, live_server, make, who)
    page.wait_for_selector("#exam-choice-b")
    for _ in range(first_timed - 1):  # to the last question of the first section
        page.click("#exam-next")
        page.wait_for_selector("#exam-choice-b")
    page.wait_for_function("() => window.examClient.questionsAsked() === 0")  # its neighbours asked
    assert first_timed not in page.evaluate("() => window.examClient.questionsHeld()")
    assert timed not in started_sections()

    page.click("#exam-next")  # the candidate goes to the timed section: now its clock starts
    page.wait_for_selector("#exam-choice-b")
    assert timed in started_sections()
    assert serious_violations(page) == []
    context.close()


def test_a_device_clock_set_during_the_test_is_noticed_and_the_time_left_stays_right(
    browser, live_server, make
):
    """The page shows the time left from the server's deadline and its measured offset to the
    server's clock, and syncs only every 2 minutes while the test runs. A candidate (or the
    phone's network time) setting the device's clock moves its wall clock away from the page's
    monotonic one: the page measures the offset again (socket.io's client drops and joins
    again when the wall clock jumps, and the join measures it), the timer waiting meanwhile:
    it never shows the test as over."""
    eh.bank()
    exam = eh.exam(duration=30)
    who = checked_in_candidate(make, exam)
    context, page = started_test_page(browser, live_server, make, who)
    page.wait_for_selector("#exam-choice-b")
    page.wait_for_function("() => window.examClient.clock().synced")
    before = page.evaluate("() => window.examClient.clock()")
    assert before["resyncs"] == 0
    assert abs(before["offset"]) < 5_000  # the browser and the server share this machine's clock

    # Every time the timer shows, from here on.
    page.evaluate(
        """() => { const timer = document.getElementById("exam-timer"); window.shownTimes = [];
          new MutationObserver(() => window.shownTimes.push(timer.textContent))
            .observe(timer, {childList: true, characterData: true, subtree: true}); }"""
    )
    # The device's clock jumps an hour ahead: read naively, the test would be over.
    page.evaluate("() => { const real = Date.now; Date.now = () => real.call(Date) + 3600000; }")
    resynced = "() => { const c = window.examClient.clock(); return c.resyncs === 1 && c.synced; }"
    page.wait_for_function(resynced)
    after = page.evaluate("() => window.examClient.clock()")
    assert abs(after["offset"] + 3_600_000) < 5_000
    page.wait_for_timeout(1_500)  # a few more ticks of the page's clock
    shown = page.evaluate("() => window.shownTimes")
    assert shown, "the timer kept ticking"
    assert all(28 <= int(text.split(":")[0]) <= 30 for text in shown), shown  # never time up
    assert page.is_visible("#exam-test") and page.is_enabled("#exam-submit")
    context.close()
