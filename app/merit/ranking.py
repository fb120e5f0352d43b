"""Ranking a merit list: pure functions over plain data (no database, no Flask).

Only candidates who passed every required stage are listed. The order is: the total of the
ranking parts (Σ weight × score, rounded half up to the cent) highest first, then the round's
tie-break chain (a stage kind: higher score first, no score last; "application_number":
earlier number first). Application numbers are unique, so two entries are never equal on every
key and the order is fully deterministic whatever the input order. Each entry says which key
put it above the next one.

Scores count to the cent and weights to the hundredth (the database's precision); the
arithmetic is done in integers so that 100,000 candidates rank in a fraction of a second.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from itertools import count, pairwise, repeat
from operator import add, is_not, itemgetter, methodcaller, mul
from typing import Any, NamedTuple

TOTAL = "total"
APPLICATION_NUMBER = "application_number"
DEFAULT_TIE_BREAK = ("part_b", APPLICATION_NUMBER)
CENT = Decimal("0.01")
_TAIL = re.compile(r"^(.*?)(\d+)$", re.DOTALL)


class Candidate(NamedTuple):
    application_number: str
    scores: Mapping[str, Decimal | None]  # stage kind -> score on the stage's scale
    passed: Mapping[str, bool]  # stage kind -> passed
    track: str = "general"
    ref: Any = None  # the caller's handle (e.g. application id)


class RankedEntry(NamedTuple):
    rank: int
    candidate: Candidate
    total: Decimal
    # The first key of the chain on which this entry beats the next one; "" for the last.
    decided_by: str


def number_key(number: str) -> tuple:
    """Earlier application numbers first. The trailing digits compare as a number
    ("R1-99999" before "R1-100000"), what comes before them as text; the raw text last, so
    different numbers never compare equal."""
    head, dash, tail = number.rpartition("-")
    if tail.isdigit():  # the usual shape, ROUND-CODE-00042: the same answer as the pattern
        return head + dash, int(tail), number
    m = _TAIL.match(number)
    if m is None:
        return number, -1, number
    return m.group(1), int(m.group(2)), number


def _hundredths(value) -> int:
    """`value` × 100 as an integer, rounded half up (exact for two decimals)."""
    if type(value) is int:
        return value * 100
    scaled = Decimal(value) * 100
    whole = int(scaled)
    return whole if whole == scaled else int(scaled.to_integral_value(ROUND_HALF_UP))


def normalize_parts(ranking_parts) -> tuple[tuple[str, Decimal], ...]:
    """Ranking parts as ((kind, weight), …): from a mapping kind -> weight, pairs, or kinds
    (weight 1)."""
    if isinstance(ranking_parts, Mapping):
        items = list(ranking_parts.items())
    else:
        items = [(p, Decimal(1)) if isinstance(p, str) else tuple(p) for p in ranking_parts]
    out = tuple((str(k), Decimal(str(w))) for k, w in items)
    if not out:
        raise ValueError("a merit list needs at least one ranking part")
    if len({k for k, _w in out}) != len(out):
        raise ValueError("a ranking part appears twice")
    if any(w < 0 for _k, w in out):
        raise ValueError("a weight cannot be negative")
    return out


def normalize_chain(tie_break: Iterable[str] | None) -> tuple[str, ...]:
    """The tie-break chain after the total: duplicates and a leading "total" dropped, and
    "application_number" appended when missing (it is what makes the order total)."""
    chain: list[str] = []
    for key in tie_break if tie_break is not None else DEFAULT_TIE_BREAK:
        if key == TOTAL or key in chain:
            continue
        chain.append(key)
        if key == APPLICATION_NUMBER:
            break  # nothing after a unique key can matter
    if APPLICATION_NUMBER not in chain:
        chain.append(APPLICATION_NUMBER)
    return tuple(chain)


def total_of(candidate: Candidate, ranking_parts) -> Decimal:
    """Σ weight × score over the ranking parts (a missing score counts 0), to the cent."""
    parts = [(k, _hundredths(w)) for k, w in normalize_parts(ranking_parts)]
    return Decimal(_total_cents(candidate.scores, parts)).scaleb(-2)


def _total_cents(scores, parts) -> int:
    raw = 0  # in ten-thousandths
    for kind, weight in parts:
        score = scores.get(kind)
        if score is not None:
            raw += weight * _hundredths(score)
    return (raw + 50) // 100  # half up (scores and weights are never negative)


def passes(candidate: Candidate, required: Iterable[str]) -> bool:
    return all(candidate.passed.get(k, False) for k in required)


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for a block that allocates hundreds of
    thousands of objects and creates no reference cycles (loading and ranking 100,000
    candidates): otherwise full collections, each walking every live object, run again and
    again as the heap grows and take as long as the work itself. Nothing to do if it is
    already paused (nested blocks, or a caller that paused it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def rank(
    candidates: Iterable[Candidate],
    ranking_parts,
    tie_break: Iterable[str] | None = None,
    required: Iterable[str] | None = None,
) -> list[RankedEntry]:
    """The merit order of the candidates who passed every `required` stage (default: the
    ranking parts). See the module docstring for the rules.

    100,000 candidates take a few tenths of a second: each score becomes whole cents once per
    distinct value (a round has few), each candidate's place in the order becomes one integer
    (so the single sort compares plain integers), and the deciding key of each entry is found
    by comparing its total and tie-break scores with the next entry's."""
    with gc_paused():
        return _rank(candidates, ranking_parts, tie_break, required)


def _rank(candidates, ranking_parts, tie_break, required) -> list[RankedEntry]:
    parts = [(k, _hundredths(w)) for k, w in normalize_parts(ranking_parts)]
    chain = normalize_chain(tie_break)
    required = tuple(required) if required is not None else tuple(k for k, _w in parts)
    stage_keys = chain[:-1]  # the chain ends with application_number
    kinds = list(dict.fromkeys([k for k, _w in parts] + list(stage_keys)))
    weights = [dict(parts).get(k, 0) for k in kinds]
    cents_in = _CentsTable().__getitem__
    pick_passed, pick_scores = _picker(required), _picker(kinds)
    chosen: list[Candidate] = []
    totals: list[int] = []
    stage_cents: list[tuple[int | None, ...]] = []  # per candidate, in `kinds` order
    for c in candidates:
        try:
            if not all(pick_passed(c.passed)):
                continue
            cents = tuple(map(cents_in, pick_scores(c.scores)))
            raw = sum(map(mul, weights, cents))  # the total in ten-thousandths
        except (KeyError, TypeError):  # no result or no score at some stage
            if not all(map(c.passed.get, required)):
                continue
            cents = tuple(map(cents_in, map(c.scores.get, kinds)))  # None: no score
            raw = sum(w * v for w, v in zip(weights, cents) if v is not None)  # None counts 0
        totals.append((raw + 50) // 100)  # half up (scores and weights are never negative)
        stage_cents.append(cents)
        chosen.append(c)
    columns = [[cents[kinds.index(k)] for cents in stage_cents] for k in stage_keys]
    order = _merit_order(totals, columns, [c.application_number for c in chosen])
    names = (TOTAL, *stage_keys)
    decided = []
    for i, j in pairwise(order):
        if totals[i] != totals[j]:
            decided.append(TOTAL)
            continue
        for name, column in zip(names[1:], columns):
            if column[i] != column[j]:
                decided.append(name)
                break
        else:
            decided.append(APPLICATION_NUMBER)
    decided.append("")
    as_decimal = _DecimalTable()  # total in cents -> Decimal, shared by equal totals
    return list(
        map(
            _new_entry,
            repeat(RankedEntry),
            zip(
                count(1),
                map(chosen.__getitem__, order),
                map(as_decimal.__getitem__, map(totals.__getitem__, order)),
                decided,
            ),
        )
    )


def _merit_order(totals: list[int], columns: list[list[int | None]], numbers: list[str]) -> list[int]:
    """Indexes in merit order: total highest first, then each column highest first (None
    last), then the application number (`number_key`). Each index gets one integer whose
    digits, in mixed radix, are those keys made ascending, then the index itself."""
    n = len(totals)
    if not n:
        return []
    ids = _number_ids(numbers)
    packed = [0] * n
    for column in [totals, *columns]:
        present = list(filter(_not_none, column))
        top = max(present, default=0)
        missing = top - min(present, default=0) + 1  # after every score
        radix = missing + 1
        packed = [p * radix + (missing if v is None else top - v) for p, v in zip(packed, column)]
    span = max(ids) + 1
    packed = [(p * span + i) * n for p, i in zip(packed, ids)]
    return [p % n for p in sorted(map(add, packed, range(n)))]


def _number_ids(numbers: list[str]) -> list[int]:
    """An integer per application number, in the order of `number_key`, distinct for distinct
    numbers. Usually the numbers of a round end in digits after the same text, and the digits'
    value is the id; otherwise the rank of the number's key."""
    n = len(numbers)
    heads, dashes, tails = zip(*map(_split_dash, numbers))
    if all(map(str.isdigit, tails)):  # ROUND-CODE-00042: number_key's first branch
        values = list(map(int, tails))
        heads = list(map(add, heads, dashes))
        distinct = sorted(set(heads))
        if len(distinct) == 1:
            ids = values
        else:
            span = max(values) + 1
            head_rank = {head: i * span for i, head in enumerate(distinct)}
            ids = list(map(add, map(head_rank.__getitem__, heads), values))
        if len(set(ids)) == n:  # distinct keys, so distinct numbers
            return ids
    if len(set(numbers)) != n:
        raise ValueError("application numbers must be unique")
    keys = list(map(number_key, numbers))  # e.g. R1-007 and R1-7: their raw text decides
    ids = [0] * n
    for place, i in enumerate(sorted(range(n), key=keys.__getitem__)):
        ids[i] = place
    return ids


_split_dash = methodcaller("rpartition", "-")


def _picker(keys: tuple[str, ...] | list[str]):
    """mapping -> the tuple of its values at `keys` (KeyError when one is missing)."""
    if len(keys) > 1:
        return itemgetter(*keys)
    return (lambda mapping: (mapping[keys[0]],)) if keys else (lambda _mapping: ())


_not_none = partial(is_not, None)
_new_entry = tuple.__new__  # RankedEntry without the Python-level __new__: 100,000 of them


class _DecimalTable(dict):
    """cents -> Decimal with two decimals; fills itself."""

    def __missing__(self, cents):
        value = self[cents] = Decimal(cents).scaleb(-2)
        return value


class _CentsTable(dict):
    """score -> whole cents (half up), None -> None; fills itself on first sight of a value.
    Equal Decimals hash equal (150.0 and 150.00), and so have equal cents."""

    def __missing__(self, score):
        cents = self[score] = None if score is None else _hundredths(score)
        return cents
