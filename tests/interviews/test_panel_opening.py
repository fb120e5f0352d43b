"""The /panel page before the interview opens: the score fields are closed (disabled, and look
it), the page says when scoring opens, and the fields open by themselves at that moment; the
confirm button says what it does (submit the member's scores, not "answers")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.common import clock
from app.common.clock import frozen_at, now
from app.extensions import db
from app.interviews import scoring
from tests.factories.panels import bangkok_midday, build
from tests.support.browser import open_context, serious_violations

pytestmark = pytest.mark.browser


def test_score_fields_stay_closed_until_the_interview_opens_then_open_by_themselves(
    browser, live_server, make
):
    with frozen_at(bangkok_midday()):
        # Scoring opens 15 minutes before the interview: here 3 seconds from now.
        s = build(make, starts_in=scoring.OPENS_BEFORE + timedelta(seconds=3), status="scheduled")
        member = s.members[0]
        opens_at = scoring.scoring_opens_at(s.interview)
        iid, k, email = s.interview.id, s.knowledge.id, member.email
        db.session.remove()

        context, page = open_context(browser, live_server, email, make.PASSWORD, english=False)
        try:
            page.goto(f"/panel/interviews/{iid}")
            page.wait_for_function("() => window.panelClient && window.panelClient.connected()")
            page.check("#has_conflict-0")
            page.locator("#panel-declare-form button[type=submit]").click()
            page.wait_for_selector("#panel-declare-form", state="hidden")

            field = page.locator(f"#points-{k}")
            assert field.is_disabled() and page.locator("#panel-submit").is_disabled()
            note = page.locator("#panel-rubric-note").inner_text()
            assert "เปิดให้ให้คะแนนเวลา" in note and "น." in note  # the opening time, in Bangkok time
            # Disabled looks disabled: grey, not the white of a field that takes input.
            assert field.evaluate("(el) => getComputedStyle(el).backgroundColor") != "rgb(255, 255, 255)"
            assert serious_violations(page) == []

            clock.set_now(opens_at + timedelta(seconds=1))  # the server's clock reaches the opening
            page.wait_for_function(f"() => !document.getElementById('points-{k}').disabled", timeout=15000)
            assert "เปิดให้ให้คะแนนเวลา" not in page.locator("#panel-rubric-note").inner_text()
            assert page.locator("#panel-submit-confirm").text_content().strip() == "ยืนยันส่งคะแนนของฉัน"
            assert now() >= opens_at
        finally:
            context.close()
