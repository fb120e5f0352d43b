"""Every item type in a real browser: the candidate answers a single-choice, a multiple-response,
a true/false, a numeric and a short-text question with the keyboard, each answer is saved (the
outbox empties and the database holds it), the test is submitted and scored, and the result
page shows the score. The page passes axe-core with every kind of control on it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.exams.models import Attempt, AttemptAnswer
from app.extensions import db
from tests.factories import exams as eh
from tests.support.browser import serious_violations
from tests.support.exam_pages import checked_in_candidate, started_test_page

pytestmark = pytest.mark.browser


def stored(attempt_id: int) -> list[str | None]:
    db.session.remove()
    rows = db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id).order_by(AttemptAnswer.index)
    )
    return sorted(a.choice for a in rows if a.choice is not None)


def saved(page) -> None:
    page.wait_for_function("() => window.examClient.outboxSize() === 0")


def test_each_item_type_is_answered_with_the_keyboard_saved_and_scored(browser, live_server, make):
    eh.typed_bank()
    exam = eh.typed_exam()
    who = checked_in_candidate(make, exam)
    attempt_id = who.attempt_id
    context, page = started_test_page(browser, live_server, make, who)

    seen, numeric_at = set(), None
    for index in range(5):
        page.wait_for_selector(f"#exam-question[data-index='{index}'] fieldset")
        fieldset = page.locator("#exam-question fieldset")
        kind = re.search(r"exam-type-(\w+)", fieldset.get_attribute("class")).group(1)
        seen.add(kind)
        if kind == "numeric":
            numeric_at = index
        if kind in ("single", "true_false"):
            right = "b" if kind == "single" else "t"
            page.focus(f"#exam-choice-{right}")
            page.keyboard.press("Space")
        elif kind == "multiple":
            assert fieldset.get_attribute("aria-describedby") == "exam-stem exam-answer-hint"
            assert fieldset.get_attribute("aria-labelledby") == "exam-q-heading"
            for choice in ("a", "c"):
                page.focus(f"#exam-choice-{choice}")
                page.keyboard.press("Space")
        else:
            field = page.locator("#exam-answer-input")
            assert page.locator("label[for=exam-answer-input]").count() == 1
            if kind == "numeric":
                assert field.get_attribute("inputmode") == "decimal"
            field.focus()
            page.keyboard.type("๓.๑๔" if kind == "numeric" else "กรุงเทพมหานคร")
            page.keyboard.press("Enter")
        saved(page)
        page.wait_for_function(
            "() => document.getElementById('exam-save-status').textContent === 'บันทึกคำตอบแล้ว'"
        )
        assert page.locator("#exam-unsaved").is_hidden()
        if index == 0 or kind in ("multiple", "numeric"):
            assert serious_violations(page) == []
        if index < 4:
            page.click("#exam-next")
    assert seen == {"single", "multiple", "true_false", "numeric", "text"}
    assert stored(attempt_id) == ["3.14", "a,c", "b", "t", "กรุงเทพมหานคร"]

    # Offline, a typed answer waits in the outbox (and says so), and is sent when back online.
    page.locator("#exam-palette-list button").nth(numeric_at).click()
    page.wait_for_selector(f"#exam-question[data-index='{numeric_at}'] #exam-answer-input")
    field = page.locator("#exam-answer-input")
    context.set_offline(True)
    page.wait_for_function("() => !window.examClient.connected()")
    field.fill("๓.๑๓๙")
    field.press("Enter")
    assert page.evaluate("window.examClient.outboxSize()") == 1
    assert page.locator("#exam-unsaved").is_visible()
    context.set_offline(False)
    page.wait_for_function(
        "() => window.examClient.connected() && window.examClient.outboxSize() === 0", timeout=30000
    )
    assert stored(attempt_id) == ["3.139", "a,c", "b", "t", "กรุงเทพมหานคร"]

    # Back to the numeric question after a reload: the page rebuilds every answer from the state.
    page.reload()
    page.wait_for_selector("#exam-question fieldset")
    page.wait_for_function("() => window.examClient.connected()")
    for index in range(5):
        page.locator("#exam-palette-list button").nth(index).click()
        page.wait_for_selector(f"#exam-question[data-index='{index}'] fieldset")
        field = page.locator("#exam-answer-input")
        if field.count():
            assert field.input_value() in ("๓.๑๓๙", "3.139", "กรุงเทพมหานคร")
        else:
            assert page.locator("input[name=exam-choice]:checked").count() in (1, 2)

    page.click("#exam-submit")
    page.click("#exam-submit-confirm")
    page.wait_for_selector("#exam-end:not([hidden])")
    db.session.remove()
    done = db.session.get(Attempt, attempt_id)
    assert done.status == "submitted" and done.score == 10 and done.max_score == 10
    page.goto(f"/exams/sittings/{who.sitting_id}/result")
    assert "10 จาก 10" in page.locator("main").inner_text()
    context.close()


def test_a_multiple_response_question_stops_at_its_limit_and_says_why(browser, live_server, make):
    """maxChoices (the item's max_choices): the hint says "choose up to 2", a third choice by
    keyboard stays clear and the live region says why; what was chosen is kept."""
    eh.typed_bank(max_choices=2)
    exam = eh.typed_exam()
    who = checked_in_candidate(make, exam)
    attempt_id = who.attempt_id
    context, page = started_test_page(browser, live_server, make, who)
    for index in range(5):
        page.wait_for_selector(f"#exam-question[data-index='{index}'] fieldset")
        if page.locator("#exam-question fieldset.exam-type-multiple").count():
            break
        page.click("#exam-next")
    hint = page.locator("#exam-answer-hint")
    assert "เลือกได้ไม่เกิน 2 คำตอบ" in hint.inner_text()  # read with the group (aria-describedby)
    for choice in ("a", "c", "b"):
        page.focus(f"#exam-choice-{choice}")
        page.keyboard.press("Space")
    assert page.is_checked("#exam-choice-a") and page.is_checked("#exam-choice-c")
    assert not page.is_checked("#exam-choice-b")
    notice = page.locator("#exam-notice")
    assert notice.get_attribute("aria-live") == "polite"
    assert "เลือกได้ไม่เกิน 2 คำตอบ" in notice.inner_text()
    saved(page)
    assert stored(attempt_id) == ["a,c"]
    assert serious_violations(page) == []
    context.close()
