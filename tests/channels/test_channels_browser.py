"""The MOU channel in real browsers: the partner nominates (the second nomination beyond the
agreement's places is refused on the page), the nominee accepts with consent and submits the
application; the partner's and nominee's pages pass axe-core."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.applications.models import Application
from app.extensions import db
from app.notifications.models import OutboxEmail
from tests.factories.channels import setup_agreement
from tests.support.browser import flashes, main_text, open_context, serious_violations

pytestmark = pytest.mark.browser


def test_partner_nominates_and_the_nominee_applies_in_the_browser(app, browser, live_server, make):
    _agency, _hr, _hc, _agreement, round_, partner = setup_agreement(app, db, make, places=1)
    nominee, second = make.candidate(), make.candidate()
    ids = nominee.national_id, second.national_id
    round_id, logins = round_.id, (partner.email, nominee.email)
    db.session.remove()
    contexts = []
    try:
        ctx_p, pp = open_context(browser, live_server, logins[0], make.PASSWORD)
        contexts.append(ctx_p)
        pp.goto("/partner")
        assert "0 of 1 places taken" in main_text(pp)
        assert serious_violations(pp) == []
        pp.get_by_role("link", name="Nominate for MOU-R1").click()
        for national_id, email in ((ids[0], "first@example.com"), (ids[1], "second@example.com")):
            pp.fill("#national_id", national_id)
            pp.fill("#email", email)
            pp.fill("#first_name_th", "สมชาย")
            pp.fill("#last_name_th", "ใจดี")
            pp.get_by_role("button", name="Nominate and send the invitation").click()
            pp.wait_for_load_state()
        assert "all of them are taken" in main_text(pp) + flashes(pp)
        assert serious_violations(pp) == []

        ctx_n, pn = open_context(browser, live_server, logins[1], make.PASSWORD)
        contexts.append(ctx_n)
        pn.goto("/applications")
        pn.get_by_role("link", name="Answer the nomination").click()
        assert "Test University" in main_text(pn)
        assert serious_violations(pn) == []
        pn.get_by_role("button", name="Accept and complete my application").click()
        pn.wait_for_load_state()
        assert "give your consent" in main_text(pn)
        pn.check("#consent")
        pn.get_by_role("button", name="Accept and complete my application").click()
        pn.wait_for_url(re.compile(rf"/rounds/{round_id}/apply$"))
        pn.get_by_role("button", name="Continue").click()
        pn.wait_for_url(re.compile(rf"/rounds/{round_id}/apply/check$"))
        pn.check("#declaration")
        pn.get_by_role("button", name="Submit application").click()
        pn.wait_for_url(re.compile(r"/applications/\d+/submitted$"))
        assert "Application submitted" in main_text(pn)
    finally:
        for ctx in contexts:
            ctx.close()
    app_ = db.session.scalar(select(Application).where(Application.round_id == round_id))
    assert app_ is not None and app_.candidate.national_id == ids[0]
    assert [m.to_address for m in db.session.scalars(select(OutboxEmail))] == ["first@example.com"]
