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

import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

TOTAL = "total"
APPLICATION_NUMBER = "application_number"
DEFAULT_TIE_BREAK = ("part_b", APPLICATION_NUMBER)
CENT = Decimal("0.01")
_TAIL = re.compile(r"^(.*?)(\d+)$", re.DOTALL)
_NO_SCORE = 1  # sort keys of scores are -cents (≤ 0): a missing score sorts after all


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
    for key in (tie_break if tie_break is not None else DEFAULT_TIE_BREAK):
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


def rank(candidates: Iterable[Candidate], ranking_parts, tie_break: Iterable[str] | None = None,
         required: Iterable[str] | None = None) -> list[RankedEntry]:
    """The merit order of the candidates who passed every `required` stage (default: the
    ranking parts). See the module docstring for the rules."""
    parts = [(k, _hundredths(w)) for k, w in normalize_parts(ranking_parts)]
    chain = normalize_chain(tie_break)
    required = tuple(required) if required is not None else tuple(k for k, _w in parts)
    stage_keys = chain[:-1]  # the chain ends with application_number
    # Flat sort keys: (-total, -score per stage key…, number prefix, number, raw number);
    # slot_names says which rule each slot belongs to. Scores are read once each, in cents.
    slot_names = (TOTAL, *stage_keys, APPLICATION_NUMBER, APPLICATION_NUMBER,
                  APPLICATION_NUMBER)
    kinds = list(dict.fromkeys([k for k, _w in parts] + list(stage_keys)))
    weights = [dict(parts).get(k, 0) for k in kinds]
    key_slots = [kinds.index(k) for k in stage_keys]
    keyed = []
    append = keyed.append
    for c in candidates:
        if required and not all(map(c.passed.get, required)):
            continue
        scores = c.scores
        cents = []
        raw = 0  # the total in ten-thousandths
        for kind, weight in zip(kinds, weights):
            score = scores.get(kind)
            if score is None:
                cents.append(None)
                continue
            scaled = score * 100
            whole = int(scaled)
            if whole != scaled:  # more than two decimals: round half up
                whole = _hundredths(score)
            cents.append(whole)
            raw += weight * whole
        total = (raw + 50) // 100  # half up (scores and weights are never negative)
        key = [-total]
        for slot in key_slots:
            value = cents[slot]
            key.append(_NO_SCORE if value is None else -value)
        key.extend(number_key(c.application_number))
        append((tuple(key), c, total))
    if len({t[1].application_number for t in keyed}) != len(keyed):
        raise ValueError("application numbers must be unique")
    keyed.sort(key=lambda t: t[0])
    out = []
    last = len(keyed) - 1
    for i, (key, c, total) in enumerate(keyed):
        decided = ""
        if i < last:
            nxt = keyed[i + 1][0]
            j = 0
            while key[j] == nxt[j]:  # the raw number differs at the latest
                j += 1
            decided = slot_names[j]
        out.append(RankedEntry(i + 1, c, Decimal(total).scaleb(-2), decided))
    return out
