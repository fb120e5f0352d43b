"""Set-up the online-test browser journeys share: a candidate checked in to a window sitting that
began five minutes ago, and that candidate's browser (in Thai) with the test started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.extensions import db
from tests.factories import exams as eh

from .browser import open_context

SLOW = 20000  # ms: a live test page waits on the websocket, slower under load


@dataclass(frozen=True)
class CheckedIn:
    email: str
    sitting_id: int
    attempt_id: int


def checked_in_candidate(make, exam) -> CheckedIn:
    """A candidate seated and checked in to a window sitting of `exam` that began 5 min ago."""
    sitting, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-5))
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    who = CheckedIn(cand.email, sitting.id, attempt.id)
    db.session.remove()
    return who


def started_test_page(browser, live_server, make, who: CheckedIn):
    """The candidate's own browser, logged in, on the test page after pressing start."""
    context, page = open_context(browser, live_server, who.email, make.PASSWORD, english=False, timeout=SLOW)
    page.goto(f"/exams/sittings/{who.sitting_id}/test")
    page.wait_for_selector("#exam-start:not([hidden]):not([disabled])")
    page.click("#exam-start")
    return context, page
