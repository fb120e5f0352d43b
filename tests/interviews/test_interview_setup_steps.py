"""The interview set-up in steps: one step per page (panels, rubric, slots, scheduling,
invitations) with its own forms only, a stepper saying where HR is and what is done, and a
summary page; a change made in a step comes back to that step."""

from __future__ import annotations

import re

from app.interviews import services
from tests.factories.interviews import NOW, World, outbox
from tests.support.reading import page_text

FROZEN_AT = NOW
STEPS = ["panels", "rubric", "slots", "scheduling", "invitations"]
FORM_OF_STEP = {
    "panels": "/interviews/panels",
    "rubric": "/interviews/rubric/criteria",
    "slots": "/interviews/slots",
    "scheduling": "/interviews/auto-schedule",
}


def forms_on(html: str) -> set[str]:
    actions = re.findall(r'<form method="post"[^>]*action="([^"]+)"', html)
    return {step for step, path in FORM_OF_STEP.items() if any(a.endswith(path) for a in actions)}


def test_each_step_is_a_page_of_its_own_and_the_summary_says_what_is_done(app, db, make):
    w = World(make, n=2)
    c = make.client_for(app, w.hr)
    base = f"/hr/rounds/{w.round.id}/interviews"

    for i, step in enumerate(STEPS, start=1):
        resp = c.get(f"{base}/setup/{step}")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert f"Step {i} of 5" in page_text(resp)
        assert 'aria-current="step"' in html
        assert forms_on(html) == ({step} if step in FORM_OF_STEP else set())
    assert c.get(f"{base}/setup/nowhere").status_code == 404

    summary = c.get(base)
    assert forms_on(summary.get_data(as_text=True)) == set()  # a summary, no forms
    assert "No rubric yet." in page_text(summary)

    # A change made in a step comes back to that step, and the summary marks it done.
    resp = c.post(f"{base}/rubric/default")
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"{base}/setup/rubric")
    w.slots()
    w.schedule()
    summary = page_text(c.get(base))
    assert "2 candidates scheduled." in summary
    assert "0 sent, 2 waiting in the outbox" in summary
    invitations = page_text(c.get(f"{base}/setup/invitations"))
    assert "Waiting in the outbox" in invitations
    assert all(a.number in invitations for a in w.apps)
    assert len([m for m in outbox(db) if m.dedupe_key.endswith(":candidate")]) == 2
    assert services.panels_of_round(w.round)
