"""Browser-test helpers (Playwright): a logged-in context of its own, the text of <main> and of the
flash messages, and axe-core's serious or critical accessibility violations."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def open_context(browser, live_server, email=None, password=None, english=True, viewport=None, timeout=15000):
    """A browser of its own, logged in when `email` is given, in English unless asked; a phone
    when `viewport` ({"width": 360, "height": 740}) is given; `timeout` (ms) for every wait."""
    extra = {"viewport": viewport} if viewport else {}
    context = browser.new_context(base_url=live_server, locale="th-TH", **extra)
    page = context.new_page()
    page.set_default_timeout(timeout)
    if email:
        page.goto("/accounts/login")
        page.fill("#email", email)
        page.fill("#password", password)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        assert "/accounts/login" not in page.url, f"{email} could not log in"
    else:
        page.goto("/")
    if english:
        page.click("a[hreflang=en]")
        page.wait_for_load_state()
    return context, page


def main_text(page) -> str:
    return page.locator("main").inner_text()


def flashes(page) -> str:
    return page.locator(".flashes").inner_text() if page.locator(".flashes").count() else ""
