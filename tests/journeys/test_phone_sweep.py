"""Phones first: every page a candidate meets, at 360 x 740 in Thai, fits the screen (no sideways
scrolling) and has no serious or critical accessibility violation (axe-core). The pages come
from the candidate-facing routes; one candidate is given something on each of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.common import clock
from app.common.clock import now
from app.exams import sitting_control
from app.merit import offers
from tests.factories import applications as ah
from tests.factories import exams as eh
from tests.factories import interviews as ih
from tests.factories.merit import owner_hr, published_list
from tests.support.browser import open_context, serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def candidate_world(db, make) -> tuple[object, dict[str, str]]:
    """A candidate with an interview to move, three exam seats (check-in open, a window test
    under way, a published result), a place on a published list with an offer, and an open
    round to apply to; and the pages that show each."""
    clock.set_now(ih.NOW)  # the interview builders' week; everything else is relative to now()
    _w, (iv,) = ih.scheduled_interviews(db, make, n=1)
    app_ = iv.application
    cand = app_.candidate
    ah.photo_document(app_)  # the application page's documents table, stacked on the phone

    eh.bank()
    exam = eh.exam(duration=30)
    soon, _hr = eh.sitting(make, exam, starts_in=timedelta(minutes=10))
    sitting_control.add_seat(soon, cand, room="ห้อง 401", seat_number="A12", application_id=app_.id)
    window, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-5))
    seat = sitting_control.add_seat(window, cand, room="ห้อง 402", seat_number="B3", application_id=app_.id)
    eh.check_in(cand, seat)
    attempt = eh.exam_attempt(db, make, cand, application=app_)
    done = attempt.seat.sitting
    done.results_published_at = now()

    ml = published_list(make, size=3, candidates=[cand])
    offers.call_next(ml, owner_hr(make, ml), 1, position_id=ml.round.position_id)
    open_round = make.round_(make.agency())
    db.session.commit()

    pages = {
        "home": "/",
        "open rounds": "/rounds",
        "round": f"/rounds/{open_round.id}",
        "application form": f"/rounds/{open_round.id}/apply",
        "my applications": "/applications",
        "application": f"/applications/{app_.id}",
        "my exams": "/exams",
        "check-in": f"/exams/sittings/{soon.id}/check-in",
        "exam take page": f"/exams/sittings/{window.id}/test",
        "result": f"/exams/sittings/{done.id}/result",
        "interviews": "/interviews",
        "interview move": f"/interviews/{iv.id}/move",
        "offers and reporting-in": "/offers",
        "result lists": "/lists",
        "a result list": f"/lists/{ml.id}",
        "my nominations": "/my/nominations",
        "my scholarship": "/my/scholarship",
        "profile": "/accounts/profile",
        "password": "/accounts/password",
        "verify a certificate": "/verify",
        "verify a list": "/verify/list",
    }
    return cand, pages


def problems_on(page, path: str) -> list[str]:
    response = page.goto(path)
    page.wait_for_load_state()
    found = [] if response.ok else [f"HTTP {response.status}"]
    if not page.evaluate(FITS):
        width = page.evaluate("() => document.documentElement.scrollWidth")
        found.append(f"scrolls sideways ({width} px wide)")
    found += serious_violations(page)
    return found


def test_every_candidate_page_fits_a_phone_and_passes_axe(browser, live_server, db, make):
    cand, pages = candidate_world(db, make)
    email = cand.email
    db.session.remove()

    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False, viewport=PHONE)
    report = {}
    try:
        for name, path in pages.items():
            found = problems_on(page, path)
            assert page.locator("html").get_attribute("lang") == "th"
            if found:
                report[f"{name} {path}"] = found
    finally:
        context.close()

    context, page = open_context(browser, live_server, english=False, viewport=PHONE)
    try:
        for path in ("/accounts/login", "/accounts/register", "/accounts/forgot"):
            found = problems_on(page, path)
            if found:
                report[path] = found
    finally:
        context.close()
    assert report == {}, "\n".join(f"{k}: {v}" for k, v in report.items())


OUTSIDE = """() => [...document.querySelectorAll('main a, main button')]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map((el) => el.textContent.trim())"""


def test_the_actions_of_my_exams_are_on_the_screen_of_a_phone(browser, live_server, db, make):
    """The issue's finding: check-in, "enter exam" and the ticket sat at x = 391-444 px on a
    390 px screen. Now every link and button of the page is inside the 360 px screen."""
    cand, pages = candidate_world(db, make)
    email = cand.email
    db.session.remove()
    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False, viewport=PHONE)
    try:
        for name in ("my exams", "home", "my applications", "offers and reporting-in", "interviews"):
            page.goto(pages[name])
            assert page.evaluate(OUTSIDE) == [], name
        page.goto(pages["my exams"])
        for action in ("บัตรประจำตัวผู้สอบ (PDF)", "รายงานตัวเข้าสอบ", "เข้าสอบ"):
            assert page.get_by_role("link", name=action, exact=True).first.is_visible()
    finally:
        context.close()


def test_the_menu_folds_on_a_phone_and_opens_from_the_keyboard(browser, live_server, make):
    cand = make.candidate()
    email = cand.email
    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False, viewport=PHONE)
    try:
        toggle = page.locator("#main-nav .menu-toggle")
        mine = page.locator("#main-menu").get_by_role("link", name="ใบสมัครของฉัน")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not mine.is_visible()

        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true" and mine.is_visible()
        page.keyboard.press("Tab")  # into the menu
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false" and not mine.is_visible()
        assert page.evaluate("() => document.activeElement.classList.contains('menu-toggle')")
        page.keyboard.press("Space")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert serious_violations(page) == []
    finally:
        context.close()

    # Without JavaScript the menu is simply there, and no button that would do nothing.
    context = browser.new_context(
        base_url=live_server, locale="th-TH", viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/")
        assert page.locator("#main-menu").get_by_role("link", name="รอบที่เปิดรับสมัคร").is_visible()
        assert not page.locator("#main-nav .menu-toggle").is_visible()
    finally:
        context.close()


def test_on_a_desktop_the_menu_is_open_without_a_button(browser, live_server, make):
    context = browser.new_context(
        base_url=live_server, locale="th-TH", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    try:
        page.goto("/")
        assert page.locator("#main-menu").get_by_role("link", name="รอบที่เปิดรับสมัคร").is_visible()
        assert not page.locator("#main-nav .menu-toggle").is_visible()
    finally:
        context.close()
