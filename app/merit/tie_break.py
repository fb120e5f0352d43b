"""The tie-break chain as HR chooses it: an ordered choice of named criteria (a stage's higher
score), edited one step at a time (add, remove, move up or down) and stored as today's codes
(["part_b", "application_number"]). The earlier application number always closes the chain: it
is what makes the order total (ranking.normalize_chain)."""

from __future__ import annotations

from dataclasses import dataclass

from ..recruitment.models import Round
from . import ranking
from .labels import decided_by_label

ADD, REMOVE, UP, DOWN = "add", "remove", "up", "down"


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str


def criteria_of(round_: Round) -> list[Criterion]:
    """What a tie may be broken on in this round: each stage's higher score, in stage order."""
    return [Criterion(s.kind, decided_by_label(s.kind)) for s in round_.stages]


def parse_chain(values) -> list[str]:
    """The chain as posted: one code per value, or (the API, older forms) codes separated by
    commas or semicolons; without the closing application number, which is implied."""
    chain: list[str] = []
    for value in values or ():
        for code in str(value).replace(";", ",").split(","):
            code = code.strip()
            if code and code not in chain and code not in (ranking.TOTAL, ranking.APPLICATION_NUMBER):
                chain.append(code)
    return chain


def edit_chain(chain: list[str], action: str, allowed: list[str]) -> list[str]:
    """`chain` after one edit: "add:<code>", "remove:<i>", "up:<i>", "down:<i>". An edit that
    does not apply (an unknown code, an index off the end) leaves the chain as it was."""
    verb, _sep, arg = (action or "").partition(":")
    chain = list(chain)
    if verb == ADD:
        if arg in allowed and arg not in chain:
            chain.append(arg)
        return chain
    try:
        i = int(arg)
    except ValueError:
        return chain
    if not 0 <= i < len(chain):
        return chain
    if verb == REMOVE:
        del chain[i]
    elif verb == UP and i > 0:
        chain[i - 1], chain[i] = chain[i], chain[i - 1]
    elif verb == DOWN and i < len(chain) - 1:
        chain[i + 1], chain[i] = chain[i], chain[i + 1]
    return chain


def stored(chain: list[str]) -> list[str]:
    """The codes as a list stores them: the chosen criteria, then the application number."""
    return list(ranking.normalize_chain(chain))


def chain_labels(chain: list[str]) -> list[str]:
    return [decided_by_label(k) for k in chain]
