"""Every item type through the `answer` event (docs/realtime.md): a candidate answers single
choice, multiple response, true/false, numeric and short text questions over a real Socket.IO
client, bad payloads are refused with a code and nothing is stored, and the submitted test is
scored per type (all-or-nothing or partial credit, as the exam says); the item analysis and the
result page cover every type."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.exams import analysis, item_types, submission
from app.exams.models import Attempt, AttemptAnswer
from app.extensions import db, socketio
from tests.factories import exams as eh


def connect(app, make, user):
    return socketio.test_client(app, namespace="/exam", flask_test_client=make.client_for(app, user))


def call(sock, event, data):
    return sock.emit(event, data, namespace="/exam", callback=True)


def started_attempt(app, make, scoring="all_or_nothing", max_choices=None):
    """A window sitting of the typed exam, the candidate joined and started: (socket, questions
    by type as {type: index}, attempt id, candidate id, sitting id)."""
    eh.typed_bank(max_choices=max_choices)
    exam = eh.typed_exam(scoring=scoring)
    sitting, hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-1))
    started_attempt.hr_id = hr.id  # (for the tests that look at HR's pages)
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    sitting_id, attempt_id = sitting.id, attempt.id
    sock = connect(app, make, cand)
    assert call(sock, "join", {"sitting_id": sitting_id})["ok"]
    assert call(sock, "start", {})["ok"]
    by_type = {}
    for index in range(5):
        question = call(sock, "question", {"index": index})["question"]
        by_type[question["type"]] = index
    return sock, by_type, attempt_id, cand.id, sitting_id


def stored(attempt_id: int) -> dict[int, str | None]:
    db.session.remove()
    rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
    return {a.index: a.choice for a in rows}


def test_each_type_is_sent_shown_and_its_answer_acknowledged(app, make, db):
    sock, by_type, attempt_id, _cand, _sitting = started_attempt(app, make)
    assert set(by_type) == set(item_types.TYPES)

    tf = call(sock, "question", {"index": by_type["true_false"]})["question"]
    assert [c["id"] for c in tf["choices"]] == ["t", "f"]  # never shuffled
    numeric = call(sock, "question", {"index": by_type["numeric"]})["question"]
    assert numeric["choices"] == [] and "key" not in str(numeric)

    for seq, (item_type, index) in enumerate(by_type.items(), start=1):
        ack = call(sock, "answer", {"index": index, "seq": seq, **eh.TYPED_ITEMS[item_type]["right"]})
        assert ack["ok"] and ack["type"] == item_type, ack
    assert stored(attempt_id) == {
        by_type["single"]: "b",
        by_type["multiple"]: "a,c",  # sorted: the order of ticking does not matter
        by_type["true_false"]: "t",
        by_type["numeric"]: "3.15",  # Thai digits stored as Arabic
        by_type["text"]: "bangkok",  # trimmed, as typed
    }

    # The state a reloaded page rebuilds from gives each answer in its type's shape.
    state = call(sock, "join", {"sitting_id": _sitting})["state"]
    assert state["answers"][str(by_type["multiple"])] == ["a", "c"]
    assert state["answers"][str(by_type["numeric"])] == "3.15"

    # Clearing: an empty list, an empty value, null.
    ack = call(sock, "answer", {"index": by_type["multiple"], "seq": 10, "choices": []})
    assert ack["ok"] and ack["answer"] is None
    ack = call(sock, "answer", {"index": by_type["numeric"], "seq": 11, "value": ""})
    assert ack["ok"] and ack["answer"] is None
    assert stored(attempt_id)[by_type["multiple"]] is None


@pytest.mark.parametrize(
    "item_type, payload, field",
    [
        ("multiple", {"choices": "a"}, "choices"),  # not a list
        ("multiple", {"choices": ["a", "z"]}, "choices"),  # not a choice of the item
        ("multiple", {"choices": ["a", "a"]}, "choices"),
        ("true_false", {"choice": "a"}, "choice"),
        ("numeric", {"value": "three"}, "value"),
        ("numeric", {"value": "1" * 201}, "value"),
        ("numeric", {"value": True}, "value"),
        ("text", {"text": ["a"]}, "text"),
        ("text", {"text": "ก" * 201}, "text"),
    ],
)
def test_a_payload_that_does_not_fit_the_type_is_refused_and_nothing_is_stored(
    app, make, db, item_type, payload, field
):
    sock, by_type, attempt_id, _cand, _sitting = started_attempt(app, make)
    ack = call(sock, "answer", {"index": by_type[item_type], "seq": 1, **payload})

    assert ack["ok"] is False and ack["error"] == "bad_answer" and ack["field"] == field
    assert ack["message"]  # in the candidate's language
    assert stored(attempt_id) == {}


def test_more_choices_than_the_item_allows_are_refused_with_their_code(app, make, db):
    """QTI maxChoices / the item's max_choices: the question says it, the answer event refuses
    more (too_many_choices, docs/realtime.md) and keeps what was stored."""
    sock, by_type, attempt_id, _cand, _sitting = started_attempt(app, make, max_choices=2)
    index = by_type["multiple"]
    question = call(sock, "question", {"index": index})["question"]
    assert question["max_choices"] == 2 and "min_choices" not in question
    assert "max_choices" not in call(sock, "question", {"index": by_type["single"]})["question"]

    assert call(sock, "answer", {"index": index, "seq": 1, "choices": ["a", "c"]})["ok"]
    ack = call(sock, "answer", {"index": index, "seq": 2, "choices": ["a", "b", "c"]})
    assert (ack["ok"], ack["error"], ack["field"]) == (False, "too_many_choices", "choices")
    assert "2" in ack["message"]
    assert stored(attempt_id)[index] == "a,c"  # nothing lost
    assert call(sock, "answer", {"index": index, "seq": 3, "choices": ["b"]})["ok"]
    assert stored(attempt_id)[index] == "b"


def test_an_answer_without_any_answer_field_is_refused(app, make, db):
    sock, by_type, attempt_id, _cand, _sitting = started_attempt(app, make)
    ack = call(sock, "answer", {"index": by_type["text"], "seq": 1})
    assert ack["ok"] is False and ack["error"] == "validation_failed"
    assert stored(attempt_id) == {}


def answer_all(sock, by_type, which: dict[str, str]):
    for seq, (item_type, index) in enumerate(by_type.items(), start=1):
        payload = eh.TYPED_ITEMS[item_type][which.get(item_type, "right")]
        assert call(sock, "answer", {"index": index, "seq": seq, **payload})["ok"]


def test_every_type_is_scored_and_analysed(app, make, db):
    sock, by_type, attempt_id, cand_id, sitting = started_attempt(app, make)
    answer_all(sock, by_type, {"text": "wrong"})
    assert call(sock, "submit", {})["ok"]

    db.session.remove()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    assert (attempt.score, attempt.max_score) == (Decimal("8.00"), Decimal("10.00"))  # 2 points each
    assert attempt.section_scores["mix"]["correct"] == 4

    stats = {s.info.item_type: s for s in analysis.item_analysis(attempt.seat.sitting)}
    assert set(stats) == set(item_types.TYPES)
    assert stats["multiple"].choice_counts == {"a": 1, "b": 0, "c": 1, "d": 0}
    assert stats["true_false"].choice_counts == {"t": 1, "f": 0}
    assert stats["text"].facility == 0 and stats["text"].wrong_answers == [("เชียงใหม่", 1)]
    assert stats["numeric"].facility == 1 and stats["numeric"].wrong_answers == []
    assert stats["numeric"].info.key_shown == "3.14 ± 0.01"

    # What HR sees: every item with its type, the text item's wrong answers, the numeric key.
    page = make.client_for(app, db.session.get(User, started_attempt.hr_id)).get(
        f"/hr/sittings/{sitting}/results"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for label in ("Single choice", "Multiple response", "True or false", "Numeric entry", "Short text entry"):
        assert label in html
    assert "Most frequent wrong answers" in html and "เชียงใหม่: 1" in html
    assert "3.14 ± 0.01" in html

    # What the candidate sees: the score of every type.
    result = make.client_for(app, db.session.get(User, cand_id)).get(f"/exams/sittings/{sitting}/result")
    assert "8 of 10" in result.get_data(as_text=True)


def test_partial_credit_for_multiple_response_when_the_exam_gives_it(app, make, db):
    sock, by_type, attempt_id, cand_id, _sitting = started_attempt(app, make, scoring="partial")
    answer_all(sock, by_type, {})
    # One right and one wrong of two right ones: (1 - 1) / 2 = 0; one right alone: 1/2.
    assert call(sock, "answer", {"index": by_type["multiple"], "seq": 20, "choices": ["a"]})["ok"]
    assert call(sock, "submit", {})["ok"]

    db.session.remove()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.score == Decimal("9.00")  # 4 items x 2 + half of 2
    assert attempt.section_scores["mix"]["correct"] == 4  # the partly right one is not "correct"
    assert submission.results_visible(attempt)
    page = (
        make.client_for(app, db.session.get(User, cand_id))
        .get(f"/exams/sittings/{_sitting}/result")
        .get_data(as_text=True)
    )
    assert "9 of 10" in page and "give part of their points for a partly right answer" in page


@pytest.mark.parametrize(
    "item_type, key, answer, expected",
    [
        ("multiple", ["a", "c"], "a,c", 1),
        ("multiple", ["a", "c"], "a", 0),
        ("numeric", [{"value": "100", "tolerance": "0"}], "100.0", 1),
        ("numeric", [{"value": "1250.5", "tolerance": "0"}], "1250.5", 1),
        ("numeric", [{"value": "3", "tolerance": "2"}], "5", 1),  # GIFT {#1..5}
        ("numeric", [{"value": "3", "tolerance": "2"}], "5.01", 0),
        # Thai-aware normalisation: NFC, spaces, Thai and Arabic digits, Latin case.
        ("text", ["ซอย ๑๒"], "ซอย  12", 1),
        ("text", ["กรุงเทพมหานคร"], "กรุงเทพ มหานคร", 0),
        ("text", ["café"], "cafe\u0301", 1),  # decomposed é is the same text
        ("text", ["Bangkok"], " BANGKOK ", 1),
    ],
)
def test_credit_per_type(app, item_type, key, answer, expected):
    assert item_types.credit(item_type, key, answer) == expected


def test_a_number_is_read_as_people_type_it(app):
    assert item_types.parse_number("๑,๒๕๐.๕") == Decimal("1250.5")
    assert item_types.parse_number(" 3.5 ") == Decimal("3.5")
    assert item_types.parse_number("Infinity") is None
    assert item_types.parse_number("3,5") is None  # a decimal comma is ambiguous: refused
    assert item_types.parse_number("NaN") is None
