"""Statuses that match reality: a window sitting whose window is open reads "in progress" (not
"scheduled", which is what is stored until someone ends it), one whose window has passed reads
"window closed"; a candidate who has not begun is "not checked in" while they still may, and
"absent" only once they no longer can. Through the HTTP client, as HR and the proctor see it."""

from __future__ import annotations

from datetime import timedelta

from app.common import clock
from app.common.clock import now
from app.exams import timing
from tests.factories import exams as eh
from tests.support.reading import page


def window_sitting(make, starts_in):
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, mode="window", starts_in=starts_in)
    cand, _seat = eh.seated(make, sitting)
    return sitting, hr, cand


def badge(html: str) -> str:
    """The text of the sitting's status badge on the page."""
    start = html.index("<span ", html.index(">Status</dt>"))
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def test_a_window_sitting_reads_as_it_is(app, client, make):
    sitting, hr, _cand = window_sitting(make, timedelta(hours=1))
    make.login(client, hr)
    assert badge(page(client.get(f"/hr/sittings/{sitting.id}"))) == "Scheduled"

    clock.set_now(sitting.starts_at + timedelta(minutes=5))  # the window is open
    assert badge(page(client.get(f"/hr/sittings/{sitting.id}"))) == "In progress"
    assert "In progress" in page(client.get("/hr/sittings"))
    proctor = make.proctor(sitting)
    other = make.client_for(app, proctor)
    assert badge(page(other.get(f"/proctor/sittings/{sitting.id}"))) == "In progress"

    clock.set_now(sitting.window_ends_at + timedelta(minutes=1))
    assert badge(page(client.get(f"/hr/sittings/{sitting.id}"))) == "Window closed"
    assert sitting.status == "scheduled"  # nothing stored changed: only how it reads


def test_nobody_is_absent_before_the_window_closes(client, make):
    sitting, hr, cand = window_sitting(make, timedelta(minutes=-5))
    make.login(client, hr)
    results = page(client.get(f"/hr/sittings/{sitting.id}/results"))
    assert "Not checked in" in results and "Absent" not in results

    clock.set_now(sitting.window_ends_at + timedelta(seconds=1))
    results = page(client.get(f"/hr/sittings/{sitting.id}/results"))
    assert "Absent" in results


def test_shown_status_of_synchronized_sittings_is_what_is_stored(make):
    eh.bank()
    sitting, _hr = eh.sitting(make, eh.exam(duration=30), starts_in=timedelta(minutes=-5))
    assert timing.shown_status(sitting, now()) == "scheduled"  # the proctor has not started it
    assert not timing.entry_over(sitting, now())
