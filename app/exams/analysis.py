"""Results of a sitting and item analysis: facility, corrected point-biserial, choice counts
(items with choices) and the most frequent wrong answers (numeric and text items).

The statistics are pure functions of (answers, total) pairs; the queries below feed them from
the submitted attempts of a sitting.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..common.clock import now
from ..common.i18n import labeller
from ..extensions import db
from . import item_types, timing
from .models import Attempt, Exam, ItemVersion, Seat, Sitting

# An item is worth a second look outside these bounds (common rules of thumb for MCQ banks).
FACILITY_LOW = 0.2
FACILITY_HIGH = 0.9
DISCRIMINATION_LOW = 0.2

TOO_HARD, TOO_EASY, LOW_DISCRIMINATION = "too_hard", "too_easy", "low_discrimination"
FLAG_LABELS = {
    TOO_HARD: lambda: _("Too hard (facility under %(n)s)", n=FACILITY_LOW),
    TOO_EASY: lambda: _("Too easy (facility over %(n)s)", n=FACILITY_HIGH),
    LOW_DISCRIMINATION: lambda: _("Discriminates poorly (under %(n)s)", n=DISCRIMINATION_LOW),
}


flag_label = labeller(FLAG_LABELS)


# ---- pure statistics ---------------------------------------------------------------------


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None when there are fewer than two pairs or either side does not vary."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


@dataclass
class ItemInfo:
    """What the analysis needs to know of an item version."""

    version_id: int
    key: object  # as stored, per type (item_types.py)
    choices: list[str]  # choice ids in the author's order ([] for numeric and text items)
    points: float = 1.0
    code: str = ""
    section: str = ""
    version: int = 1
    item_type: str = item_types.SINGLE
    scoring: str = item_types.ALL_OR_NOTHING  # the exam's, for multiple-response items

    @property
    def key_shown(self) -> str:
        return item_types.key_shown(self.item_type, self.key)


@dataclass
class ItemStats:
    info: ItemInfo
    n: int
    facility: float | None
    discrimination: float | None
    choice_counts: dict[str, int]  # every choice id, in the author's order (chosen at all)
    omitted: int
    flags: list[str] = field(default_factory=list)
    # Numeric and text items: the most frequent wrong answers, (answer, count), most first.
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)

    @property
    def review(self) -> bool:
        return bool(self.flags)


WRONG_ANSWERS_SHOWN = 5


def item_statistics(info: ItemInfo, responses: Iterable[tuple[str | None, float]]) -> ItemStats:
    """One item over the candidates who had it: `responses` are (stored answer or None, total).

    Facility is the mean credit (the share answering correctly; with partial credit, the mean
    share of the points). Discrimination is the corrected point-biserial: the correlation
    between the item score (its credit, 0 to 1) and the total score without this item, so that
    the item does not correlate with itself.
    """
    responses = list(responses)
    counts = dict.fromkeys(info.choices, 0)
    wrong: Counter = Counter()
    omitted = 0
    scores, rests = [], []
    for answer, total in responses:
        credit = float(item_types.credit(info.item_type, info.key, answer, info.scoring))
        if answer is None:
            omitted += 1
        elif info.item_type in item_types.CHOICE_TYPES:
            for choice in answer.split(","):
                counts[choice] = counts.get(choice, 0) + 1
        elif credit < 1:
            wrong[item_types.grouped_answer(info.item_type, answer)] += 1
        scores.append(credit)
        rests.append(float(total) - credit * info.points)
    n = len(responses)
    facility = sum(scores) / n if n else None
    discrimination = pearson(scores, rests)
    flags = []
    if facility is not None and facility < FACILITY_LOW:
        flags.append(TOO_HARD)
    if facility is not None and facility > FACILITY_HIGH:
        flags.append(TOO_EASY)
    if discrimination is not None:
        if discrimination < DISCRIMINATION_LOW:
            flags.append(LOW_DISCRIMINATION)
    elif n >= 2 and not flags:
        # No spread to correlate with although the facility looks fine: the item (or the test)
        # tells candidates apart by nothing. Everyone right or wrong is flagged above already.
        flags.append(LOW_DISCRIMINATION)
    return ItemStats(
        info=info,
        n=n,
        facility=facility,
        discrimination=discrimination,
        choice_counts=counts,
        omitted=omitted,
        flags=flags,
        wrong_answers=sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[:WRONG_ANSWERS_SHOWN],
    )


def analyse_items(
    responses: Iterable[tuple[dict[int, str | None], float]], items: dict[int, ItemInfo]
) -> list[ItemStats]:
    """Every item over every candidate: `responses` are (answers by version id, total score).

    A candidate's answers hold every item of their form (None = omitted); candidates who did
    not have an item (another form) do not count for it.
    """
    per_item: dict[int, list[tuple[str | None, float]]] = {vid: [] for vid in items}
    for answers, total in responses:
        for vid, choice in answers.items():
            if vid in per_item:
                per_item[vid].append((choice, total))
    return [item_statistics(items[vid], per_item[vid]) for vid in items]


# ---- from the database -------------------------------------------------------------------


@dataclass
class ResultRow:
    seat: Seat
    attempt: Attempt | None

    @property
    def submitted(self) -> bool:
        return self.attempt is not None and self.attempt.status == "submitted"

    @property
    def percent(self) -> Decimal | None:
        a = self.attempt
        if not self.submitted or not a.max_score:
            return None
        return (a.score * 100 / a.max_score).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def state(self) -> str:
        """absent (never began, and can no longer), not_checked_in (may still come: the window
        or the late entry is open), not_submitted (still open) or submitted."""
        if self.attempt is None:
            return "absent" if timing.entry_over(self.seat.sitting, now()) else "not_checked_in"
        return "submitted" if self.submitted else "not_submitted"


@dataclass
class Summary:
    seated: int
    submitted: int
    passed: int
    mean: Decimal | None
    highest: Decimal | None
    lowest: Decimal | None
    max_score: Decimal | None


def _seats(sitting: Sitting) -> list[Seat]:
    return list(
        db.session.scalars(
            select(Seat)
            .where(Seat.sitting_id == sitting.id)
            .options(
                selectinload(Seat.attempt).selectinload(Attempt.answers),
                selectinload(Seat.candidate),
                selectinload(Seat.application),
            )
        )
    )


def result_rows(sitting: Sitting) -> list[ResultRow]:
    """One row per seat, in application-number order (then room and seat)."""
    rows = [ResultRow(seat, seat.attempt) for seat in _seats(sitting)]
    rows.sort(
        key=lambda r: (
            r.seat.application.number if r.seat.application else "",
            r.seat.room,
            r.seat.seat_number.zfill(6),
            r.seat.id,
        )
    )
    return rows


def summary(rows: list[ResultRow]) -> Summary:
    done = [r.attempt for r in rows if r.submitted]
    scores = [a.score for a in done if a.score is not None]
    mean = (
        (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP) if scores else None
    )
    return Summary(
        seated=len(rows),
        submitted=len(done),
        passed=sum(1 for a in done if a.passed),
        mean=mean,
        highest=max(scores) if scores else None,
        lowest=min(scores) if scores else None,
        max_score=done[0].max_score if done else None,
    )


def section_codes(sitting: Sitting) -> list[dict]:
    return [{"code": s["code"], "title": s.get("title", {})} for s in sitting.exam.sections]


def item_analysis(sitting: Sitting) -> list[ItemStats]:
    """Item statistics over the submitted attempts of the sitting, in section and code order."""
    attempts = [r.attempt for r in result_rows(sitting) if r.submitted]
    points = {s["code"]: float(s.get("points_per_item", 1)) for s in sitting.exam.sections}
    version_ids = {q["version_id"] for a in attempts for q in a.form}
    if not version_ids:
        return []
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(ItemVersion).where(ItemVersion.id.in_(version_ids)).options(selectinload(ItemVersion.item))
        )
    }
    section_of = {q["version_id"]: q["section"] for a in attempts for q in a.form}
    # A pretest item is not in the total: nothing to take out of it for the "rest" score.
    pretest = {q["version_id"] for a in attempts for q in a.form if q.get("pretest")}
    order = [s["code"] for s in sitting.exam.sections]
    items: dict[int, ItemInfo] = {}
    for vid in sorted(
        version_ids,
        key=lambda v: (
            order.index(section_of[v]) if section_of[v] in order else len(order),
            versions[v].item.code,
            versions[v].version,
        ),
    ):
        v = versions[vid]
        items[vid] = ItemInfo(
            version_id=vid,
            key=v.key,
            choices=[c["id"] for c in v.choices],
            points=0.0 if vid in pretest else points.get(section_of[vid], 1.0),
            code=v.item.code,
            section=section_of[vid],
            version=v.version,
            item_type=v.item_type,
            scoring=sitting.exam.multiple_scoring,
        )
    responses = []
    for a in attempts:
        given = {ans.index: ans.choice for ans in a.answers}
        responses.append(({q["version_id"]: given.get(i) for i, q in enumerate(a.form)}, float(a.score or 0)))
    return analyse_items(responses, items)


@dataclass
class BankUse:
    """How an item version of a bank has been used: attempts that drew it, and its statistics
    over the submitted ones (None before any)."""

    drawn: int = 0
    stats: ItemStats | None = None


def bank_item_use(bank: str) -> dict[int, BankUse]:
    """Per item version of `bank`: attempts that drew it, and its statistics over every
    submitted attempt of every exam drawn from the bank. Totals are compared as percentages
    (exams differ in length), so an item's points count as its share of its exam."""
    rows = db.session.execute(
        select(Attempt, Exam)
        .join(Seat, Attempt.seat_id == Seat.id)
        .join(Sitting, Seat.sitting_id == Sitting.id)
        .join(Exam, Sitting.exam_id == Exam.id)
        .where(Exam.bank == bank)
        .options(selectinload(Attempt.answers))
    ).all()
    use: dict[int, BankUse] = {}
    infos: dict[int, ItemInfo] = {}
    responses: dict[int, list[tuple[str | None, float]]] = {}
    keys = _version_keys({q["version_id"] for a, _e in rows for q in a.form or ()})
    for attempt, exam in rows:
        for entry in attempt.form or ():
            use.setdefault(entry["version_id"], BankUse()).drawn += 1
        if attempt.status != "submitted" or not attempt.max_score:
            continue
        top = float(attempt.max_score)
        points = {s["code"]: float(s.get("points_per_item", 1)) * 100 / top for s in exam.sections}
        given = {ans.index: ans.choice for ans in attempt.answers}
        total = float(attempt.score or 0) * 100 / top
        for i, entry in enumerate(attempt.form):
            vid = entry["version_id"]
            if vid not in keys:
                continue
            key, choices = keys[vid]
            infos.setdefault(vid, ItemInfo(vid, key, choices, points.get(entry["section"], 1.0)))
            responses.setdefault(vid, []).append((given.get(i), total))
    for vid, info in infos.items():
        use[vid].stats = item_statistics(info, responses[vid])
    return use


def _version_keys(version_ids: set[int]) -> dict[int, tuple[str, list[str]]]:
    if not version_ids:
        return {}
    return {
        v.id: (v.key, [c["id"] for c in v.choices])
        for v in db.session.scalars(select(ItemVersion).where(ItemVersion.id.in_(version_ids)))
    }


def results_csv(sitting: Sitting, certs: dict | None = None) -> str:
    """The results table as CSV text (the caller adds the byte order mark for Excel)."""
    certs = certs or {}
    sections = section_codes(sitting)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Application number"),
            _("Name"),
            _("Room"),
            _("Seat"),
            _("State"),
            _("Score"),
            _("Maximum"),
            _("Percent"),
        ]
        + [_("Section %(code)s", code=s["code"]) for s in sections]
        + [_("Result"), _("Certificate")]
    )
    for row in result_rows(sitting):
        a, seat = row.attempt, row.seat
        done = row.submitted
        per_section = (a.section_scores or {}) if done else {}
        cert = certs.get(a.id) if a is not None else None
        writer.writerow(
            [
                seat.application.number if seat.application else "",
                seat.candidate.full_name_th,
                seat.room,
                seat.seat_number,
                row.state,
                a.score if done else "",
                a.max_score if done else "",
                row.percent if row.percent is not None else "",
                *[per_section.get(s["code"], {}).get("score", "") for s in sections],
                ("pass" if a.passed else "fail") if done else "",
                cert.code if cert else "",
            ]
        )
    return out.getvalue()
