"""Parallel forms: an exam's forms assembled by a mixed-integer program (HiGHS, via highspy)
so that every candidate faces the same difficulty, and the check that refuses to open a
sitting whose forms differ by more than the exam's tolerance (docs/psychometrics.md).

The model (van der Linden, Linear Models for Optimal Test Design, 2005): binary x[i, f] = item
i on form f; per form and section the blueprint's count per (calibrated) difficulty band; per
section and topic the blueprint's exact count where it gives one (`topics`), else the same count
on every form give or take one; enemy items never together;
each item on at most a share of the forms; and at each ability point of PARALLEL_FORMS_THETAS
every form's expected score within half the tolerance of the target, the expected score of an
average form of the pool. The first set of forms that meets all this is taken.

With no calibration of the exam's bank, nothing is assembled here: forms are drawn at random
from the author's bands as before (app/exams/assembly.py).
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import version as package_version

import highspy
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from . import calibration, irt
from .calibration_models import CalibrationRun, FormSet, ItemEnemy
from .models import Exam, ExamItem, ItemVersion

SOLVER = "highspy"
MAX_FORMS = 50


# ---- the model (pure) --------------------------------------------------------------------------


@dataclass
class PoolItem:
    """What the solver knows of an item: its place in the blueprint and its curve."""

    version_id: int
    code: str
    section: str
    topic: str
    band: str
    a: float
    b: float
    points: float = 1.0


@dataclass
class Solution:
    forms: list[list[int]]  # per form, indices into the pool
    targets: list[float]
    largest_deviation: float
    seconds: float


class AssemblyFailed(ValidationFailed):
    """No set of forms meets every rule: the message names what to relax."""


def targets_for(
    pool: Sequence[PoolItem], draw: dict[tuple[str, str], int], thetas: Sequence[float]
) -> list[float]:
    """The expected score of an average form: per section and band, the blueprint's count times
    the pool's mean expected points at each ability."""
    groups: dict[tuple[str, str], list[PoolItem]] = defaultdict(list)
    for item in pool:
        groups[(item.section, item.band)].append(item)
    totals = [0.0] * len(thetas)
    for key, count in draw.items():
        items = groups.get(key, [])
        if not count or not items:
            continue
        curves = irt.probability(thetas, [i.a for i in items], [i.b for i in items]) * [
            i.points for i in items
        ]
        for k, mean in enumerate(curves.mean(axis=1)):
            totals[k] += count * float(mean)
    return totals


def solve(
    pool: Sequence[PoolItem],
    draw: dict[tuple[str, str], int],
    n_forms: int,
    *,
    thetas: Sequence[float],
    tolerance: float,
    max_forms_per_item: int,
    enemies: Sequence[tuple[str, str]] = (),
    topic_counts: dict[tuple[str, str], int] | None = None,
    time_limit: float = 30.0,
    seed: int = 0,
) -> Solution:
    """Assemble `n_forms` forms from `pool` meeting the blueprint `draw` ((section, band) →
    count), the topics (a section of `topic_counts` ((section, topic) → count) gets exactly
    those counts on every form; the others the same count on every form give or take one), the
    enemies, the exposure limit and the expected-score target within ±tolerance/2."""
    topic_counts = {key: int(n) for key, n in (topic_counts or {}).items()}
    started = time.monotonic()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    topics: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, item in enumerate(pool):
        groups[(item.section, item.band)].append(i)
        topics[(item.section, item.topic)].append(i)
    for (section, band), count in draw.items():
        have = len(groups.get((section, band), []))
        if count and have * max_forms_per_item < count * n_forms:
            raise AssemblyFailed(
                _(
                    "Section %(section)s has %(have)s calibrated %(band)s items; %(forms)s forms of "
                    "%(count)s each, with each item on at most %(exposure)s forms, need more. "
                    "Calibrate more items, assemble fewer forms or allow more exposure.",
                    section=section,
                    have=have,
                    band=band,
                    forms=n_forms,
                    count=count,
                    exposure=max_forms_per_item,
                )
            )
    for (section, topic), count in topic_counts.items():
        have = len(topics.get((section, topic), []))
        if count and have * max_forms_per_item < count * n_forms:
            raise AssemblyFailed(
                _(
                    "Section %(section)s has %(have)s calibrated items of topic %(topic)s; %(forms)s "
                    "forms of %(count)s each, with each item on at most %(exposure)s forms, need more. "
                    "Calibrate more items, assemble fewer forms or allow more exposure.",
                    section=section,
                    have=have,
                    topic=topic,
                    forms=n_forms,
                    count=count,
                    exposure=max_forms_per_item,
                )
            )
    targets = targets_for(pool, draw, thetas)
    expected = irt.probability(thetas, [i.a for i in pool], [i.b for i in pool]) * [i.points for i in pool]
    half = tolerance / 2.0

    h = highspy.Highs()
    h.silent()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", int(seed) % 2**31)
    x = [[h.addBinary() for _f in range(n_forms)] for _i in range(len(pool))]
    for f in range(n_forms):
        for (section, band), count in draw.items():
            members = groups.get((section, band), [])
            if members:  # (an empty group with a count was refused above)
                h.addConstr(h.qsum(x[i][f] for i in members) == count)
        for k, target in enumerate(targets):
            score = h.qsum(float(expected[k, i]) * x[i][f] for i in range(len(pool)))
            h.addConstr(score <= target + half)
            h.addConstr(score >= target - half)
    sections = {s for s, _b in draw}
    exact_sections = {s for s, _t in topic_counts}
    for (section, topic), count in topic_counts.items():
        members = topics.get((section, topic), [])
        for f in range(n_forms):
            if members:
                h.addConstr(h.qsum(x[i][f] for i in members) == count)
    for (section, topic), members in topics.items():
        if section not in sections:
            continue
        if section in exact_sections:
            if (section, topic) not in topic_counts:  # a topic the blueprint does not name: none
                for f in range(n_forms):
                    h.addConstr(h.qsum(x[i][f] for i in members) == 0)
            continue
        low = h.addIntegral(lb=0, ub=len(members))
        for f in range(n_forms):
            count = h.qsum(x[i][f] for i in members)
            h.addConstr(count - low >= 0)
            h.addConstr(count - low <= 1)
    index = {item.code: i for i, item in enumerate(pool)}
    for code_a, code_b in enemies:
        if code_a in index and code_b in index:
            for f in range(n_forms):
                h.addConstr(x[index[code_a]][f] + x[index[code_b]][f] <= 1)
    for i in range(len(pool)):
        h.addConstr(h.qsum(x[i][f] for f in range(n_forms)) <= max_forms_per_item)
    # A feasibility model: any set of forms inside the band will do (minimising the largest
    # deviation among 20 interchangeable forms stalls, docs/psychometrics.md), so HiGHS stops
    # at the first one it finds.
    h.run()
    values = h.getSolution().col_value
    # A time limit may stop HiGHS with or without a solution: trust only a feasible one.
    if h.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        status = h.modelStatusToString(h.getModelStatus())
        raise AssemblyFailed(
            _(
                "No set of %(forms)s forms meets every rule within ±%(half)s points of the target "
                "(solver: %(status)s). Allow a larger tolerance, more exposure, fewer forms, or "
                "calibrate more items.",
                forms=n_forms,
                half=f"{half:.2f}",
                status=status,
            )
        )
    forms = [[i for i in range(len(pool)) if values[x[i][f].index] > 0.5] for f in range(n_forms)]
    return Solution(
        forms=forms,
        targets=targets,
        largest_deviation=max(
            (
                abs(float(expected[k, form].sum()) - target)
                for form in forms
                for k, target in enumerate(targets)
            ),
            default=0.0,
        ),
        seconds=time.monotonic() - started,
    )


@dataclass
class Report:
    """How far an exam's forms differ: each form's expected score at each ability point."""

    thetas: list[float]
    expected: list[list[float]]  # per form, per theta
    tolerance: float
    uncalibrated: int = 0  # items on the forms with no parameters in the latest calibration
    # Items no longer drawn (deactivated, or a newer version imported) and forms whose counts
    # per section no longer match the blueprint: the forms must be assembled again.
    stale: int = 0
    differences: list[float] = field(default_factory=list)  # per theta: highest − lowest

    @property
    def largest_difference(self) -> float:
        return max(self.differences, default=0.0)

    @property
    def parallel(self) -> bool:
        return self.uncalibrated == 0 and self.stale == 0 and self.largest_difference <= self.tolerance + 1e-9


def compare_forms(
    curves: list[list[float]], thetas: Sequence[float], tolerance: float, uncalibrated: int = 0
) -> Report:
    differences = [
        max(form[k] for form in curves) - min(form[k] for form in curves) if curves else 0.0
        for k in range(len(thetas))
    ]
    return Report(
        thetas=list(thetas),
        expected=curves,
        tolerance=tolerance,
        uncalibrated=uncalibrated,
        differences=differences,
    )


# ---- an exam's forms -----------------------------------------------------------------------------


def tolerance_of(exam: Exam) -> float:
    if exam.form_tolerance is not None:
        return float(exam.form_tolerance)
    return float(current_app.config["PARALLEL_FORMS_TOLERANCE"])


def set_tolerance(exam: Exam, actor, tolerance: float | None, reason: str) -> Exam:
    """HR sets how far the exam's forms may differ (None: the platform's default); audited."""
    if tolerance is not None and not 0 < tolerance <= 10:
        raise ValidationFailed(_("The tolerance is a number of points above 0, at most 10."), "tolerance")
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason: it is written to the audit log."), "reason")
    before = exam.form_tolerance
    exam.form_tolerance = Decimal(str(tolerance)).quantize(Decimal("0.01")) if tolerance is not None else None
    record(
        "exam.form_tolerance",
        exam,
        actor=actor,
        before={"tolerance": before},
        after={"tolerance": exam.form_tolerance, "reason": reason.strip()},
    )
    db.session.commit()
    return exam


def enemies_of(bank: str) -> list[tuple[str, str]]:
    return [
        (row.code_a, row.code_b)
        for row in db.session.scalars(select(ItemEnemy).where(ItemEnemy.bank == bank).order_by(ItemEnemy.id))
    ]


def set_enemies(
    bank: str, code_a: str, code_b: str, actor=None, *, remove: bool = False, reason: str = ""
) -> bool:
    """Mark (or unmark) two items of a bank as enemies: never on one form; audited with the
    reason. False when there was nothing to change (already marked, or not marked)."""
    codes = sorted({(code_a or "").strip(), (code_b or "").strip()})
    if len(codes) != 2:
        raise ValidationFailed(_("An item cannot be its own enemy."), "code")
    known = set(
        db.session.scalars(select(ExamItem.code).where(ExamItem.bank == bank, ExamItem.code.in_(codes)))
    )
    missing = [c for c in codes if c not in known]
    if missing:
        raise ValidationFailed(
            _("Bank %(bank)s has no item %(code)s.", bank=bank, code=", ".join(missing)), "code"
        )
    row = db.session.scalar(
        select(ItemEnemy).where(
            ItemEnemy.bank == bank, ItemEnemy.code_a == codes[0], ItemEnemy.code_b == codes[1]
        )
    )
    if remove and row is not None:
        db.session.delete(row)
    elif not remove and row is None:
        db.session.add(ItemEnemy(bank=bank, code_a=codes[0], code_b=codes[1]))
    else:
        return False
    db.session.flush()
    record(
        "bank.enemies_remove" if remove else "bank.enemies_add",
        actor=actor,
        object_type="exam_bank",
        object_id=bank[:40],
        after={"items": codes, "reason": (reason or "").strip()},
    )
    db.session.commit()
    return True


def _points(exam: Exam) -> dict[str, float]:
    return {s["code"]: float(s.get("points_per_item", 1)) for s in exam.sections}


def calibrated_pool(exam: Exam, run: CalibrationRun) -> list[PoolItem]:
    """The exam's active items whose current version the run calibrated."""
    params = calibration.parameters_by_version(exam.bank, run)
    points = _points(exam)
    pool = []
    for item in db.session.scalars(
        select(ExamItem)
        .where(ExamItem.bank == exam.bank, ExamItem.active.is_(True), ExamItem.section.in_(list(points)))
        .options(selectinload(ExamItem.versions))
        .order_by(ExamItem.section, ExamItem.code)
    ):
        version = item.current_version
        row = params.get(version.id) if version else None
        if not calibration.is_calibrated(row):
            continue
        pool.append(
            PoolItem(
                version_id=version.id,
                code=item.code,
                section=item.section,
                topic=item.topic,
                band=calibration.effective_band(item, row),
                a=row.discrimination,
                b=row.difficulty,
                points=points[item.section],
            )
        )
    return pool


def blueprint_topics(exam: Exam) -> dict[tuple[str, str], int]:
    """Exact items per (section, topic) on every form, where the blueprint gives them."""
    return {(s["code"], topic): int(n) for s in exam.sections for topic, n in (s.get("topics") or {}).items()}


def blueprint_draw(exam: Exam) -> dict[tuple[str, str], int]:
    return {
        (s["code"], band): int(n) for s in exam.sections for band, n in s.get("draw", {}).items() if int(n)
    }


def assemble_exam_forms(
    exam: Exam, actor, n_forms: int, *, reason: str = "", max_exposure: float | None = None, seed: int = 0
) -> FormSet:
    """Assemble `n_forms` parallel forms for the exam from its bank's latest calibration and
    make them the exam's current forms (audited)."""
    if not 2 <= n_forms <= MAX_FORMS:
        raise ValidationFailed(_("Assemble from 2 to %(n)s forms.", n=MAX_FORMS), "forms")
    run = calibration.latest_run(exam.bank)
    if run is None:
        raise AssemblyFailed(
            _(
                "Bank %(bank)s has not been calibrated: forms are drawn at random from the author's bands.",
                bank=exam.bank,
            )
        )
    config = current_app.config
    share = config["PARALLEL_FORMS_MAX_EXPOSURE"] if max_exposure is None else max_exposure
    if not 0 < share <= 1:
        raise ValidationFailed(
            _("The exposure limit is a share of the forms above 0, at most 1."), "exposure"
        )
    per_item = max(1, math.floor(n_forms * share))
    thetas = list(config["PARALLEL_FORMS_THETAS"])
    tolerance = tolerance_of(exam)
    pool = calibrated_pool(exam, run)
    enemies = enemies_of(exam.bank)
    solution = solve(
        pool,
        blueprint_draw(exam),
        n_forms,
        thetas=thetas,
        tolerance=tolerance,
        max_forms_per_item=per_item,
        enemies=enemies,
        topic_counts=blueprint_topics(exam),
        time_limit=config["PARALLEL_FORMS_TIME_LIMIT_SECONDS"],
        seed=seed,
    )
    form_set = FormSet(
        exam_id=exam.id,
        run_id=run.id,
        forms=[
            [{"version_id": pool[i].version_id, "section": pool[i].section} for i in form]
            for form in solution.forms
        ],
        constraints={
            "thetas": thetas,
            "targets": [round(t, 4) for t in solution.targets],
            "tolerance": tolerance,
            "max_forms_per_item": per_item,
            "enemies": [list(pair) for pair in enemies],
            "topics": [[section, topic, n] for (section, topic), n in blueprint_topics(exam).items()],
            "largest_deviation": round(solution.largest_deviation, 4),
            "seed": seed,
        },
        solver=SOLVER,
        solver_version=package_version(SOLVER),
        seconds=round(solution.seconds, 3),
        reason=(reason or "").strip(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(form_set)
    db.session.flush()
    report = form_report(exam, form_set)
    record(
        "exam.assemble_forms",
        form_set,
        actor=actor,
        after={
            "exam": exam.code,
            "forms": n_forms,
            "calibration": run.id,
            "largest_difference": round(report.largest_difference, 4),
            "tolerance": tolerance,
            "solver": f"{SOLVER} {form_set.solver_version}",
            "reason": form_set.reason,
        },
    )
    db.session.commit()
    return form_set


def current_form_set(exam: Exam) -> FormSet | None:
    return db.session.scalar(
        select(FormSet).where(FormSet.exam_id == exam.id).order_by(FormSet.id.desc()).limit(1)
    )


def form_report(exam: Exam, form_set: FormSet | None = None) -> Report | None:
    """The exam's forms compared with the bank's latest calibration (None: no forms yet).

    Parameters move when the bank is recalibrated, so the report is computed afresh: forms that
    were parallel may no longer be.
    """
    form_set = form_set or current_form_set(exam)
    if form_set is None:
        return None
    params = calibration.parameters_by_version(exam.bank)
    points = _points(exam)
    thetas = list(current_app.config["PARALLEL_FORMS_THETAS"])
    curves, uncalibrated = [], 0
    for form in form_set.forms:
        a, b, pts = [], [], []
        for entry in form:
            row = params.get(entry["version_id"])
            if not calibration.is_calibrated(row):
                uncalibrated += 1
                continue
            a.append(row.discrimination)
            b.append(row.difficulty)
            pts.append(points.get(entry["section"], 1.0))
        curves.append(irt.expected_scores(thetas, a, b, pts) if a else [0.0] * len(thetas))
    report = compare_forms(curves, thetas, tolerance_of(exam), uncalibrated)
    report.stale = _stale_entries(exam, form_set)
    return report


def _stale_entries(exam: Exam, form_set: FormSet) -> int:
    """Entries of the forms an assembly today would not use: items deactivated or with a newer
    version, and every entry of a form whose section counts differ from the blueprint's."""
    current = {
        item.current_version.id
        for item in db.session.scalars(
            select(ExamItem)
            .where(ExamItem.bank == exam.bank, ExamItem.active.is_(True))
            .options(selectinload(ExamItem.versions))
        )
        if item.current_version is not None
    }
    wanted = {s["code"]: sum(int(n) for n in s.get("draw", {}).values()) for s in exam.sections}
    stale = 0
    for form in form_set.forms:
        counts = dict.fromkeys(wanted, 0)
        for entry in form:
            counts[entry["section"]] = counts.get(entry["section"], 0) + 1
        if counts != wanted:
            stale += len(form)
            continue
        stale += sum(1 for entry in form if entry["version_id"] not in current)
    return stale


def opening_refusal(exam: Exam) -> str | None:
    """Why a sitting of this exam may not open (its forms are not parallel), or None. An exam
    with no assembled forms draws at random from bands, as before, and may open."""
    report = form_report(exam)
    if report is None or report.parallel:
        return None
    if report.stale:
        return _(
            "The forms of exam %(code)s hold %(n)s items that are no longer drawn (deactivated, "
            "replaced by a newer version, or the blueprint changed); assemble the forms again before "
            "opening the sitting.",
            code=exam.code,
            n=report.stale,
        )
    if report.uncalibrated:
        return _(
            "The forms of exam %(code)s hold %(n)s items the latest calibration has no parameters for; "
            "assemble the forms again before opening the sitting.",
            code=exam.code,
            n=report.uncalibrated,
        )
    return _(
        "The forms of exam %(code)s differ by up to %(diff)s points of expected score, more than its "
        "tolerance of %(tol)s; assemble the forms again before opening the sitting.",
        code=exam.code,
        diff=f"{report.largest_difference:.2f}",
        tol=f"{report.tolerance:.2f}",
    )


def refuse_unless_parallel(sitting, actor) -> None:
    """Raise NotAllowed (and audit the refusal) when the sitting's forms are not parallel."""
    reason = opening_refusal(sitting.exam)
    if reason is None:
        return
    record("sitting.open_refused", sitting, actor=actor, after={"reason": reason})
    db.session.commit()
    raise NotAllowed(reason)


# ---- a candidate's form --------------------------------------------------------------------------


def form_items(exam: Exam, seed: int) -> list[dict] | None:
    """The scored items of a candidate's form when the exam has parallel forms (one of them,
    chosen by the seed), in blueprint section order; None: draw at random by bands."""
    form_set = current_form_set(exam)
    if form_set is None or not form_set.forms:
        return None
    return list(form_set.forms[seed % len(form_set.forms)])


def pretest_versions(
    exam: Exam, section: str, count: int, exclude: set[int], rng: random.Random
) -> list[ItemVersion]:
    """`count` unscored items for a section: active items the latest calibration has no
    parameters for (new items), not already on the form."""
    if count <= 0:
        return []
    params = calibration.parameters_by_version(exam.bank)
    pool = []
    for item in db.session.scalars(
        select(ExamItem)
        .where(ExamItem.bank == exam.bank, ExamItem.section == section, ExamItem.active.is_(True))
        .options(selectinload(ExamItem.versions))
        .order_by(ExamItem.code)
    ):
        version = item.current_version
        if version is None or version.id in exclude or calibration.is_calibrated(params.get(version.id)):
            continue
        pool.append(version)
    return rng.sample(pool, min(count, len(pool)))
