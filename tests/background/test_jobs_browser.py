"""A background job's page in a real browser: the bar shows the job waiting, then the page,
polling the JSON beside it, shows the result once the scheduler has run the job; axe-core finds
no serious violation and the page keeps to the CSP."""

from __future__ import annotations

from app.background import services
from tests.factories.background import queued_job
from tests.support.browser import main_text, open_context, serious_violations


def _two_steps(progress):
    progress(1, 2, "half")
    progress(2, 2)
    return services.Outcome(summary="Both steps done.")


services.register("tests.two_steps", _two_steps)


def test_the_progress_page_follows_the_job_to_its_result(browser, live_server, db, make):
    owner = make.hr(make.agency())
    job_id = queued_job("tests.two_steps", owner, {}, title="Two steps").id
    context, page = open_context(browser, live_server, owner.email, make.PASSWORD)
    try:
        page.goto(f"/jobs/{job_id}")
        assert "Waiting to start" in main_text(page)
        assert page.locator("progress#job-progress").count() == 1
        assert serious_violations(page) == []
        services.run_queued()
        page.wait_for_function(
            "() => document.getElementById('job-summary') && !document.getElementById('job-summary').hidden"
        )
        assert "Both steps done." in main_text(page) and "Done." in main_text(page)
        assert page.locator("progress#job-progress").get_attribute("value") == "100"
        assert serious_violations(page) == []
    finally:
        context.close()
