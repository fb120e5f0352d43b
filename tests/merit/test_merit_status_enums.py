"""The status and kind codes of merit lists, offers and scores are `enum.StrEnum`s whose members
are the stored strings; a merit list is stored and shown with its plain codes, and an entry's
use status has one label in both languages."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import text

from app.merit.labels import entry_status_label
from app.merit.models import EntryStatus, ListKind, ListStatus, OfferStatus, Track
from app.merit.services import Validity, status_on
from app.scores.models import ScoreSource
from tests.factories.merit import Scene

ENUMS = (ListStatus, Track, ListKind, EntryStatus, OfferStatus, ScoreSource)


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_members_are_their_stored_strings_and_all_lists_them_in_order(enum):
    assert issubclass(enum, StrEnum)
    assert tuple(m.value for m in enum) == enum.ALL  # ALL is not a member itself
    for member in enum:
        assert member == member.value and str(member) == member.value
        assert f"{member}" == member.value and json.dumps(member) == json.dumps(member.value)
        assert enum(member.value) is member


def test_a_published_list_stores_and_shows_plain_codes(app, db, make):
    merit = Scene(make, 3).publish()
    stored = db.session.execute(
        text("SELECT kind, track, status FROM merit_lists WHERE id = :i"), {"i": merit.id}
    ).one()
    assert tuple(stored) == ("merit", "general", "published")
    statuses = db.session.execute(
        text("SELECT DISTINCT status FROM merit_entries WHERE list_id = :i"), {"i": merit.id}
    ).scalars()
    assert list(statuses) == ["available"]
    db.session.expire_all()
    assert merit.status == ListStatus.PUBLISHED and merit.kind in ListKind.ALL
    assert status_on(merit) == Validity.VALID == "valid"
    assert render_template_string("{{ k }}|{{ s }}", k=merit.kind, s=merit.status) == "merit|published"


def test_an_entry_status_has_one_label_per_language(app):
    with app.test_request_context():
        with force_locale("en"):
            assert [entry_status_label(s) for s in EntryStatus] == [
                "available",
                "called",
                "appointed",
                "waived",
                "lapsed",
            ]
        with force_locale("th"):
            thai = [entry_status_label(s) for s in EntryStatus]
    assert all(label and label not in EntryStatus.ALL for label in thai)  # translated, not the code
    assert app.jinja_env.globals["merit_entry_status_label"] is entry_status_label
    assert "offer_entry_status_label" not in app.jinja_env.globals
