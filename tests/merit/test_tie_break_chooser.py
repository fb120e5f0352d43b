"""The tie-break chain chosen as named criteria (add, remove, move up/down), saved as the codes
the ranking uses, and used by it."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.merit.models import MeritEntry, MeritList
from tests.factories.merit import scored_round
from tests.support.reading import page_text


def chain_on(resp) -> list[str]:
    return re.findall(r'name="tie_break" value="([^"]+)"', resp.get_data(as_text=True))


def test_hr_orders_the_tie_break_by_named_criteria_and_the_ranking_follows_it(app, db, make):
    # Equal totals (Part B + Part C = 230); A has the higher Part C, B the higher Part B.
    agency, round_, apps = scored_round(db, make, [(150, 150, 80), (150, 160, 70)])
    c = make.client_for(app, make.hr(agency), lang="th")
    url = f"/hr/rounds/{round_.id}/lists"

    page = c.get(url)
    assert chain_on(page) == ["part_b"]  # the round's default, shown by name
    body = page_text(page)
    assert "คะแนนภาค ข สูงกว่า" in body or "ภาค ข" in body
    assert "part_b" not in re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))  # no internal code shown

    form = {"kind": "merit", "chain_shown": "1", "tie_break": ["part_b"]}
    added = c.post(url, data=form | {"chain_edit": "add", "chain_add": "part_c"})
    assert added.status_code == 200 and chain_on(added) == ["part_b", "part_c"]
    moved = c.post(url, data=form | {"tie_break": chain_on(added), "chain_edit": "up:1"})
    assert chain_on(moved) == ["part_c", "part_b"]
    removed = c.post(url, data=form | {"tie_break": chain_on(moved), "chain_edit": "remove:1"})
    assert chain_on(removed) == ["part_c"]
    assert db.session.scalar(select(MeritList)) is None  # editing the chain prepares nothing

    done = c.post(url, data=form | {"tie_break": chain_on(removed)})
    assert done.status_code == 302
    ml = db.session.scalars(select(MeritList)).one()
    assert ml.tie_break == ["part_c", "application_number"]  # stored as today's codes
    entries = db.session.scalars(
        select(MeritEntry).where(MeritEntry.list_id == ml.id).order_by(MeritEntry.rank)
    )
    first = next(iter(entries))
    assert first.application_id == apps[0].id  # the higher Part C wins the tie
    assert first.decided_by == "part_c"


def test_an_unknown_criterion_cannot_be_added(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    c = make.client_for(app, make.hr(agency))
    url = f"/hr/rounds/{round_.id}/lists"
    resp = c.post(
        url,
        data={
            "kind": "merit",
            "chain_shown": "1",
            "tie_break": ["part_b"],
            "chain_edit": "add",
            "chain_add": "part_x",
        },
    )
    assert chain_on(resp) == ["part_b"]
