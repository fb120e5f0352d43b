"""The ranking rules as pure functions (app/merit/ranking.py): hypothesis checks that the order
does not depend on the input's order, that a higher total never ranks below a lower one, and
that ties follow the round's tie-break chain exactly; plus the chain's normalisation and the
note that says why each entry sits where it does."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.merit import ranking

# ---- ranking: pure functions -------------------------------------------------------------

C = ranking.Candidate


def cand(number, b, c, passed=True, a=None):
    sc = {"part_b": Decimal(b), "part_c": Decimal(c)}
    if a is not None:
        sc["part_a"] = Decimal(a)
    return C(number, sc, dict.fromkeys(sc, passed))


def test_ranking_orders_by_total_then_part_b_then_application_number():
    entries = ranking.rank(
        [
            cand("R1-00004", 100, 50),  # 150, Part B 100
            cand("R1-00002", 90, 60),  # 150, Part B 90
            cand("R1-00003", 100, 50),  # 150, Part B 100, later number than …04? no: earlier
            cand("R1-00001", 150, 50),  # 200
            cand("R1-00005", 190, 10, passed=False),  # failed a stage: not listed
        ],
        ["part_b", "part_c"],
    )
    assert [(e.rank, e.candidate.application_number, e.total, e.decided_by) for e in entries] == [
        (1, "R1-00001", Decimal("200.00"), "total"),
        (2, "R1-00003", Decimal("150.00"), "application_number"),
        (3, "R1-00004", Decimal("150.00"), "part_b"),
        (4, "R1-00002", Decimal("150.00"), ""),
    ]


def test_ranking_uses_weights_and_a_configurable_chain():
    people = [cand("A-1", 100, 80), cand("A-2", 120, 60), cand("A-3", 80, 100)]
    # Part C counts double: 260, 240, 280.
    entries = ranking.rank(people, {"part_b": 1, "part_c": 2})
    assert [e.candidate.application_number for e in entries] == ["A-3", "A-1", "A-2"]
    # Equal totals; the chain says Part C first.
    flat = [cand("A-1", 100, 80), cand("A-2", 120, 60), cand("A-3", 90, 90)]
    entries = ranking.rank(flat, ["part_b", "part_c"], ["part_c", "application_number"])
    assert [(e.candidate.application_number, e.decided_by) for e in entries] == [
        ("A-3", "part_c"),
        ("A-1", "part_c"),
        ("A-2", ""),
    ]


def test_application_numbers_compare_as_numbers_and_the_chain_always_ends_unique():
    entries = ranking.rank(
        [cand("R1-100000", 10, 10), cand("R1-99999", 10, 10)], ["part_b", "part_c"], ["part_b"]
    )
    assert [e.candidate.application_number for e in entries] == ["R1-99999", "R1-100000"]
    assert entries[0].decided_by == "application_number"
    assert ranking.normalize_chain(["total", "part_b", "part_b"]) == ("part_b", "application_number")
    assert ranking.normalize_chain(["application_number", "part_b"]) == ("application_number",)
    with pytest.raises(ValueError):
        ranking.rank([cand("X", 1, 1), cand("X", 2, 2)], ["part_b"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AB-0123456789๑", max_size=12))
def test_property_application_number_keys_read_the_trailing_digits_as_a_number(number):
    import re

    m = re.match(r"^(.*?)(\d+)$", number, re.DOTALL)
    expected = (number, -1, number) if m is None else (m.group(1), int(m.group(2)), number)
    assert ranking.number_key(number) == expected


score_st = st.integers(min_value=0, max_value=20).map(lambda n: Decimal(n * 5))
candidate_st = st.tuples(score_st, score_st, score_st, st.booleans(), st.booleans())


@st.composite
def fields(draw):
    rows = draw(st.lists(candidate_st, min_size=0, max_size=40))
    numbers = draw(
        st.lists(
            st.integers(min_value=1, max_value=200_000), min_size=len(rows), max_size=len(rows), unique=True
        )
    )
    people = [
        C(
            f"R1-{n:05d}",
            {"part_a": a, "part_b": b, "part_c": c},
            {"part_a": True, "part_b": pb, "part_c": pc},
        )
        for n, (a, b, c, pb, pc) in zip(numbers, rows)
    ]
    weights = draw(
        st.sampled_from(
            [{"part_b": 1, "part_c": 1}, {"part_b": 1, "part_c": 2}, {"part_b": Decimal("0.5"), "part_c": 1}]
        )
    )
    chain = draw(
        st.sampled_from(
            [
                ["part_b", "application_number"],
                ["part_c", "part_a", "application_number"],
                ["application_number"],
                ["part_a"],
            ]
        )
    )
    return people, weights, chain


def reference_key(c, weights, chain):
    total = sum(Decimal(str(w)) * c.scores[k] for k, w in weights.items())
    key = [-total]
    for k in ranking.normalize_chain(chain):
        key.append(int(c.application_number.split("-")[1]) if k == "application_number" else -c.scores[k])
    return key


HYPO = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPO
@given(fields(), st.randoms(use_true_random=False))
def test_property_permuting_the_input_does_not_change_the_list(data, rnd):
    people, weights, chain = data
    shuffled = list(people)
    rnd.shuffle(shuffled)

    def as_rows(es):
        return [(e.rank, e.candidate.application_number, e.total, e.decided_by) for e in es]

    assert as_rows(ranking.rank(people, weights, chain)) == as_rows(ranking.rank(shuffled, weights, chain))


@HYPO
@given(fields())
def test_property_only_passers_are_listed_and_a_higher_total_never_ranks_lower(data):
    people, weights, chain = data
    entries = ranking.rank(people, weights, chain, required=["part_a", "part_b", "part_c"])
    passers = {c.application_number for c in people if all(c.passed.values())}
    assert {e.candidate.application_number for e in entries} == passers
    assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
    for upper, lower in pairwise(entries):
        assert upper.total >= lower.total


@HYPO
@given(fields())
def test_property_ties_follow_the_chain_and_decided_by_names_the_deciding_key(data):
    people, weights, chain = data
    entries = ranking.rank(people, weights, chain, required=["part_b"])
    keys = [reference_key(e.candidate, weights, chain) for e in entries]
    assert keys == sorted(keys)  # the order is exactly total, then the chain
    names = ["total", *ranking.normalize_chain(chain)]
    for i, e in enumerate(entries):
        if i + 1 == len(entries):
            assert e.decided_by == ""
            continue
        first_diff = next(j for j in range(len(names)) if keys[i][j] != keys[i + 1][j])
        assert e.decided_by == names[first_diff]


def test_missing_scores_count_zero_and_sort_last_on_their_tie_break():
    def person(number, b, c, passed=True):
        sc = {"part_c": Decimal(c)}
        if b != "absent":
            sc["part_b"] = None if b is None else Decimal(b)
        return C(number, sc, {"part_b": passed, "part_c": True})

    entries = ranking.rank(
        [
            person("R-1", None, 100),  # a result without a score: total 100, no Part B
            person("R-2", "absent", 100),  # no Part B at all: the same
            person("R-3", 40, 60),  # 100, Part B 40
            person("R-4", 0, 100),  # 100, Part B 0: above those without a Part B score
            person("R-5", 90, 90, passed=False),
        ],
        ["part_b", "part_c"],
        ["part_b"],
        required=["part_b"],
    )
    assert [(e.candidate.application_number, e.total, e.decided_by) for e in entries] == [
        ("R-3", Decimal("100.00"), "part_b"),
        ("R-4", Decimal("100.00"), "part_b"),
        ("R-1", Decimal("100.00"), "application_number"),
        ("R-2", Decimal("100.00"), ""),
    ]
    # Not passing a stage, or having no result there, keeps a candidate off the list.
    assert ranking.rank([C("R-9", {"part_b": Decimal(1)}, {})], ["part_b"]) == []


number_st = st.builds(
    lambda head, digits: head + digits,
    st.sampled_from(["R1-", "R2-", "R10-", "X", "", "R1-0"]),
    st.text(alphabet="0123456789", max_size=4),
)


@HYPO
@given(st.lists(number_st, min_size=1, max_size=30, unique=True))
def test_property_equal_scores_follow_the_application_number_key(numbers):
    """Prefixes that differ, numbers without digits, "R1-007" beside "R1-7": the order is
    number_key's, whichever way ranking turns the numbers into sort keys."""
    people = [cand(n, 10, 10) for n in numbers]
    entries = ranking.rank(people, ["part_b", "part_c"])
    assert [e.candidate.application_number for e in entries] == sorted(numbers, key=ranking.number_key)
    assert {e.decided_by for e in entries[:-1]} <= {"application_number"}


def test_ranking_leaves_the_garbage_collector_as_it_found_it():
    import gc

    assert gc.isenabled()
    ranking.rank([cand("A-1", 1, 1)], ["part_b"])
    with pytest.raises(ValueError):
        ranking.rank([cand("A-1", 1, 1), cand("A-1", 2, 2)], ["part_b"])
    assert gc.isenabled()
    gc.disable()
    try:
        with ranking.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's pause is theirs to end
    finally:
        gc.enable()
