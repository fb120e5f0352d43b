"""Set-up the online-test browser journeys share: a candidate checked in to a window sitting that
began five minutes ago, and that candidate's browser (in Thai) with the test started; or a
proctored synchronized sitting HR has started, its one candidate under way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.exams import sitting_control, starting
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


@dataclass(frozen=True)
class UnderWay:
    sitting_id: int
    seat_id: int
    attempt_id: int
    deadline: datetime
    email: str
    proctor_email: str


def proctored_test_under_way(make) -> UnderWay:
    """A synchronized 30-minute sitting with a proctor, started by HR; its one candidate checked
    in and under way."""
    eh.bank()
    sitting, hr = eh.sitting(make, eh.exam(duration=30), starts_in=timedelta(minutes=1))
    proctor = make.proctor(sitting)
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(sitting, hr)
    starting.begin_if_due(attempt)
    found = UnderWay(sitting.id, seat.id, attempt.id, attempt.deadline, cand.email, proctor.email)
    db.session.remove()
    return found
