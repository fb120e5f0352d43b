"""Live panel scoring in real browsers: two members score the same candidate at once in two
browser contexts (one of them losing the connection for a moment) while the chair watches the
waiting list and the progress in a third, sees the scores side by side once all have submitted,
and finalizes. The pages pass axe-core with no serious or critical violation. A member HR names
to preside in place of a recused chair is told on the open page and gets the chair's tools."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.common.clock import frozen_at
from app.extensions import db
from app.interviews import chairing, rooms, scoring
from app.interviews.models import CriterionScore, Interview
from app.scores.models import StageScore
from tests.factories.panels import bangkok_midday, build
from tests.support.browser import serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _midday():
    """The chair's waiting list shows today's (Bangkok) interviews: at 00.02 in Bangkok an
    interview that started five minutes ago is yesterday's. Pin the clock to midday (the live
    server runs in this process, so it sees the same clock)."""
    with frozen_at(bangkok_midday()):
        yield


def open_as(browser, live_server, email, password, path):
    context = browser.new_context(base_url=live_server, locale="th-TH")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto("/accounts/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(path)
    page.wait_for_function("() => window.panelClient && window.panelClient.connected()")
    return context, page


def declare_no_conflict(page):
    page.check("#has_conflict-0")
    page.locator("#panel-declare-form button[type=submit]").click()
    page.wait_for_selector("#panel-declare-form", state="hidden")


def give(page, criterion_id, points):
    page.fill(f"#points-{criterion_id}", points)
    page.locator(f"#points-{criterion_id}").dispatch_event("change")


def saved(page):
    page.wait_for_function("() => window.panelClient.outboxSize() === 0")


def stored_points(interview_id):
    db.session.remove()
    return {
        (r.user_id, r.criterion_id): r.points
        for r in db.session.scalars(select(CriterionScore).where(CriterionScore.interview_id == interview_id))
    }


def test_two_members_score_at_once_while_the_chair_watches_then_finalizes(browser, live_server, make):
    s = build(make)  # the candidate has checked in
    a, b = s.members
    iid, k, c, panel_id = s.interview.id, s.knowledge.id, s.communication.id, s.panel.id
    ids = dict(a=a.id, b=b.id, chair=s.chair.id)
    emails = dict(a=a.email, b=b.email, chair=s.chair.email)
    db.session.remove()
    path = f"/panel/interviews/{iid}"

    chair_ctx, chair = open_as(browser, live_server, emails["chair"], make.PASSWORD, path)
    # The chair's "My interviews" in another tab: the candidate who checked in is waiting.
    home = chair_ctx.new_page()
    home.goto("/panel")
    waiting_row = f"#waiting-{panel_id} li[data-interview='{iid}']"
    home.wait_for_selector(waiting_row)
    assert serious_violations(home) == []
    a_ctx, pa = open_as(browser, live_server, emails["a"], make.PASSWORD, path)
    b_ctx, pb = open_as(browser, live_server, emails["b"], make.PASSWORD, path)
    try:
        chair.wait_for_selector(f"#panel-progress li[data-user='{ids['a']}']")
        assert chair.locator("#panel-progress li").count() == 3
        assert chair.locator("#panel-finalize").is_disabled()
        assert pa.locator(f"#points-{k}").is_disabled()  # declare first
        assert serious_violations(pa) == []

        for pg in (pa, pb, chair):
            declare_no_conflict(pg)
        assert pa.locator(f"#points-{k}").is_enabled()
        # All at once: no page waits for another.
        give(pa, k, "27.5")
        give(pb, k, "20")
        give(chair, k, "25")
        give(pa, c, "16")
        give(chair, c, "15")
        for pg in (pa, pb, chair):
            saved(pg)
        home.wait_for_selector(waiting_row, state="detached")  # the interview is under way
        chair.wait_for_selector(f"#panel-progress li.panel-progress-scoring[data-user='{ids['b']}']")
        assert chair.locator("#panel-sbs table").count() == 0  # no points for the chair yet
        assert "27.5" not in chair.locator("#panel-chair").inner_text()

        # B's connection drops; B keeps scoring; the score waits on the device and goes later.
        b_ctx.set_offline(True)
        pb.wait_for_function("() => !window.panelClient.connected()")
        give(pb, c, "14.5")
        assert pb.evaluate("window.panelClient.outboxSize()") == 1
        assert (ids["b"], c) not in stored_points(iid)
        b_ctx.set_offline(False)
        pb.wait_for_function(
            "() => window.panelClient.connected() && window.panelClient.outboxSize() === 0", timeout=30000
        )
        assert stored_points(iid)[(ids["b"], c)] == Decimal("14.50")
        assert pb.locator(f"#status-{c}").get_attribute("class") == "panel-save panel-save-saved"

        for pg in (pa, pb):
            pg.click("#panel-submit")
            pg.click("#panel-submit-confirm")
            pg.wait_for_selector("#panel-submit", state="hidden")
        chair.wait_for_selector(f"#panel-progress li.panel-progress-submitted[data-user='{ids['b']}']")
        assert pa.locator("#panel-others-section").is_hidden()  # the chair has not submitted
        chair.click("#panel-submit")
        chair.click("#panel-submit-confirm")
        # Everyone has submitted: the members see each other, the chair sees side by side.
        pa.wait_for_selector("#panel-others-section:not([hidden]) table")
        assert "14.5" in pa.locator("#panel-others").inner_text()
        chair.wait_for_selector("#panel-sbs table")
        assert chair.locator("#panel-sbs tbody tr").count() == 3  # 2 criteria + total
        assert chair.locator("#panel-spread").get_attribute("class") == "panel-spread"
        assert serious_violations(chair) == []
        chair.wait_for_function("() => !document.getElementById('panel-finalize').disabled")
        chair.click("#panel-finalize")
        chair.click("#panel-finalize-confirm")
        chair.wait_for_selector("#panel-final:not([hidden])")
        pa.wait_for_selector("#panel-final:not([hidden])")
        assert pa.locator(f"#points-{k}").is_disabled()
    finally:
        for ctx in (chair_ctx, a_ctx, b_ctx):
            ctx.close()

    db.session.remove()
    interview = db.session.get(Interview, iid)
    # totals 40 (chair), 43.5 (a), 34.5 (b): mean 39.33… of 50 -> 78.67 of 100
    assert interview.status == "finalized" and interview.final_score == Decimal("78.67")
    stage = db.session.scalar(select(StageScore).where(StageScore.stage_kind == "part_c"))
    assert stage.score == Decimal("78.67") and stage.source_ref == f"interview:{iid}"
    assert stage.entered_by_id == ids["chair"]


def test_a_member_hr_names_to_preside_is_told_and_gets_the_chairs_tools(browser, live_server, make):
    s = build(make, members=3)
    a = s.members[0]
    scoring.declare(s.interview, s.chair, True, "บุตรของผู้สมัคร")
    iid, a_email, hr_id, a_id = s.interview.id, a.email, s.hr.id, a.id
    db.session.remove()
    ctx, pa = open_as(browser, live_server, a_email, make.PASSWORD, f"/panel/interviews/{iid}")
    try:
        assert pa.locator("#panel-chair").count() == 0
        interview = db.session.get(Interview, iid)
        chairing.name_acting_chair(interview, db.session.get(User, hr_id), db.session.get(User, a_id))
        rooms.notify_chair_changed(interview)
        db.session.remove()
        pa.wait_for_function("() => document.getElementById('panel-notice').textContent.length > 0")
        assert "ประธาน" in pa.locator("#panel-notice").inner_text()
        pa.reload()
        pa.wait_for_function("() => window.panelClient && window.panelClient.connected()")
        pa.wait_for_selector("#panel-chair")
        assert "ทำหน้าที่ประธาน" in pa.locator("main").inner_text()
        pa.wait_for_selector("#panel-progress li")  # the chair's live progress
    finally:
        ctx.close()
