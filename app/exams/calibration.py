"""Calibrating a bank's items with item response theory: from the scored responses of
submitted attempts, Rasch (1PL) or 2PL parameters per item version, with sample size and fit,
stored as a reproducible run (docs/psychometrics.md).

The fit is done by the `mirt` library (marginal maximum likelihood, EM); this module gathers the
data, keeps the snapshot that makes a run reproducible, and decides which items have enough
responses. An item version with fewer than CALIBRATION_MIN_RESPONSES keeps its author's band.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from importlib.metadata import version as package_version

import mirt
import numpy as np
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..common.errors import ValidationFailed
from ..common.i18n import labeller
from ..extensions import db
from . import irt
from .calibration_models import CalibrationRun, ItemCalibration
from .models import Attempt, ExamItem, ItemVersion

RASCH, TWO_PL = "rasch", "2pl"
MODELS = (RASCH, TWO_PL)
MODEL_LABELS = {RASCH: lambda: _("Rasch (1PL)"), TWO_PL: lambda: _("2PL")}
CALIBRATED, TOO_FEW = "calibrated", "too_few"
STATUS_LABELS = {
    CALIBRATED: lambda: _("Calibrated"),
    TOO_FEW: lambda: _("Too few responses: author's band kept"),
}
LIBRARY = "mirt"
_MIRT_MODEL = {RASCH: "1PL", TWO_PL: "2PL"}

model_label = labeller(MODEL_LABELS)
calibration_status_label = labeller(STATUS_LABELS)


def is_right(version: ItemVersion, choice: str | None) -> bool:
    """Whether a response counts as right for calibration: the key chosen. (Should an item
    type give partial credit, a response counts as right only with the item's full score.)"""
    return choice is not None and choice == version.key


# ---- the data ------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """The scored responses a calibration sees: (attempt id, item version id, 0/1), sorted."""

    attempt_ids: list[int]
    responses: list[tuple[int, int, int]]

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.responses, separators=(",", ":")).encode()).hexdigest()


def _bank_version_ids(bank: str) -> set[int]:
    return set(db.session.scalars(select(ItemVersion.id).join(ExamItem).where(ExamItem.bank == bank)))


def snapshot_of(bank: str, attempt_ids: list[int] | None = None) -> Snapshot:
    """The responses of `attempt_ids` (default: every submitted attempt) to the bank's items.

    Every item a candidate was given counts, answered or not (an omitted answer is wrong), and
    pretest items count like the others: that is how they gain statistics.
    """
    in_bank = _bank_version_ids(bank)
    query = select(Attempt).options(selectinload(Attempt.answers)).order_by(Attempt.id)
    if attempt_ids is None:
        query = query.where(Attempt.status == "submitted")
    else:
        query = query.where(Attempt.id.in_(attempt_ids))
    attempts = [a for a in db.session.scalars(query) if any(q["version_id"] in in_bank for q in a.form)]
    used = {q["version_id"] for a in attempts for q in a.form if q["version_id"] in in_bank}
    versions = {v.id: v for v in db.session.scalars(select(ItemVersion).where(ItemVersion.id.in_(used)))}
    responses = []
    for attempt in attempts:
        given = {ans.index: ans.choice for ans in attempt.answers}
        for index, entry in enumerate(attempt.form):
            vid = entry["version_id"]
            if vid in versions:
                responses.append((attempt.id, vid, int(is_right(versions[vid], given.get(index)))))
    responses.sort()
    return Snapshot(attempt_ids=[a.id for a in attempts], responses=responses)


# ---- the fit (pure) --------------------------------------------------------------------------


@dataclass
class ItemFit:
    version_id: int
    n: int
    facility: float | None
    discrimination: float | None = None
    difficulty: float | None = None
    infit: float | None = None
    outfit: float | None = None

    @property
    def status(self) -> str:
        return CALIBRATED if self.difficulty is not None else TOO_FEW


@dataclass
class Fit:
    model: str
    items: dict[int, ItemFit]
    candidates: int
    converged: bool
    library_version: str = field(default_factory=lambda: package_version(LIBRARY))


def fit_responses(responses: list[tuple[int, int, int]], model: str, seed: int, min_responses: int) -> Fit:
    """Fit `model` to (person, item, 0/1) triples. Items with fewer than `min_responses`
    responses are left out of the fit (too few to estimate) and reported with their count.

    mirt's EM starts from fixed values and is deterministic; the seed is stored with the run
    and seeds numpy's generator before the fit all the same, so a random step, should a later
    version take one, repeats too.
    """
    if model not in MODELS:
        raise ValidationFailed(_("Choose the Rasch or the 2PL model."), "model")
    counts: dict[int, int] = {}
    rights: dict[int, int] = {}
    for _person, item, right in responses:
        counts[item] = counts.get(item, 0) + 1
        rights[item] = rights.get(item, 0) + right
    items = {
        vid: ItemFit(version_id=vid, n=n, facility=rights[vid] / n if n else None)
        for vid, n in counts.items()
    }
    # An item everyone got right (or wrong) has no finite difficulty: it stays uncalibrated.
    kept = sorted(vid for vid, n in counts.items() if n >= min_responses and 0 < rights[vid] < n)
    if len(kept) < 2:
        return Fit(model=model, items=items, candidates=0, converged=False)
    column = {vid: j for j, vid in enumerate(kept)}
    people = sorted({p for p, vid, _right in responses if vid in column})
    row = {p: i for i, p in enumerate(people)}
    data = np.full((len(people), len(kept)), np.nan)
    for person, vid, right in responses:
        if vid in column:
            data[row[person], column[vid]] = right
    np.random.seed(seed % 2**32)
    result = mirt.fit_mirt(data, model=_MIRT_MODEL[model], compute_standard_errors=False, verbose=False)
    params = result.model.parameters
    a = np.asarray(params["discrimination"], dtype=float).reshape(-1)
    b = np.asarray(params["difficulty"], dtype=float).reshape(-1)
    theta = np.asarray(mirt.fscores(result, data, method="EAP").theta, dtype=float).reshape(-1)
    infit, outfit = irt.mean_square_fit(data, theta, a, b)
    for vid, j in column.items():
        fit = items[vid]
        fit.discrimination, fit.difficulty = round(float(a[j]), 6), round(float(b[j]), 6)
        fit.infit, fit.outfit = round(float(infit[j]), 6), round(float(outfit[j]), 6)
    return Fit(model=model, items=items, candidates=len(people), converged=bool(result.converged))


# ---- runs ----------------------------------------------------------------------------------


def choose_model(snapshot: Snapshot) -> str:
    """2PL once the typical item has the responses 2PL needs, Rasch before."""
    counts: dict[int, int] = {}
    for _a, vid, _r in snapshot.responses:
        counts[vid] = counts.get(vid, 0) + 1
    if not counts:
        return RASCH
    typical = sorted(counts.values())[len(counts) // 2]
    return TWO_PL if typical >= current_app.config["CALIBRATION_MIN_RESPONSES_2PL"] else RASCH


def calibrate_bank(
    bank: str, actor=None, *, model: str | None = None, seed: int | None = None, reason: str = ""
) -> CalibrationRun:
    """Calibrate the bank on every submitted attempt and store the run (audited)."""
    if not db.session.scalar(select(ExamItem.id).where(ExamItem.bank == bank).limit(1)):
        raise ValidationFailed(_("There is no bank %(bank)s.", bank=bank), "bank")
    snapshot = snapshot_of(bank)
    if not snapshot.responses:
        raise ValidationFailed(
            _("No submitted test has used bank %(bank)s yet: there is nothing to calibrate.", bank=bank),
            "bank",
        )
    model = model or choose_model(snapshot)
    seed = secrets.randbelow(2**31 - 1) if seed is None else seed
    minimum = current_app.config["CALIBRATION_MIN_RESPONSES"]
    fit = fit_responses(snapshot.responses, model, seed, minimum)
    run = CalibrationRun(
        bank=bank,
        model=model,
        library=LIBRARY,
        library_version=fit.library_version,
        seed=seed,
        snapshot_hash=snapshot.digest,
        attempt_ids=snapshot.attempt_ids,
        responses=len(snapshot.responses),
        candidates=len(snapshot.attempt_ids),
        min_responses=minimum,
        converged=fit.converged,
        reason=(reason or "").strip(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(run)
    db.session.flush()
    for item in fit.items.values():
        db.session.add(
            ItemCalibration(
                run_id=run.id,
                version_id=item.version_id,
                n=item.n,
                facility=item.facility,
                discrimination=item.discrimination,
                difficulty=item.difficulty,
                infit=item.infit,
                outfit=item.outfit,
                status=item.status,
            )
        )
    calibrated = sum(1 for i in fit.items.values() if i.status == CALIBRATED)
    record(
        "bank.calibrate",
        run,
        actor=actor,
        after={
            "bank": bank,
            "model": model,
            "library": f"{LIBRARY} {fit.library_version}",
            "seed": seed,
            "snapshot": snapshot.digest,
            "responses": run.responses,
            "calibrated": calibrated,
            "too_few": len(fit.items) - calibrated,
            "converged": fit.converged,
            "reason": run.reason,
        },
    )
    db.session.commit()
    return run


@dataclass
class Reproduction:
    same_data: bool
    same_library: bool
    largest_difference: float  # in the parameters, between the stored and the new fit

    @property
    def reproduced(self) -> bool:
        return self.same_data and self.largest_difference < 1e-9


def reproduce(run: CalibrationRun) -> Reproduction:
    """Fit the stored run's data again with its model and seed and compare the parameters."""
    snapshot = snapshot_of(run.bank, run.attempt_ids)
    fit = fit_responses(snapshot.responses, run.model, run.seed, run.min_responses)
    largest = 0.0
    for stored in run.items:
        new = fit.items.get(stored.version_id)
        for name in ("discrimination", "difficulty"):
            old_value, new_value = getattr(stored, name), getattr(new, name) if new else None
            if (old_value is None) != (new_value is None):
                largest = float("inf")
            elif old_value is not None:
                largest = max(largest, abs(old_value - new_value))
    return Reproduction(
        same_data=snapshot.digest == run.snapshot_hash,
        same_library=fit.library_version == run.library_version,
        largest_difference=largest,
    )


# ---- reading the parameters -------------------------------------------------------------------


def latest_run(bank: str) -> CalibrationRun | None:
    return db.session.scalar(
        select(CalibrationRun).where(CalibrationRun.bank == bank).order_by(CalibrationRun.id.desc()).limit(1)
    )


def runs_of(bank: str) -> list[CalibrationRun]:
    return list(
        db.session.scalars(
            select(CalibrationRun).where(CalibrationRun.bank == bank).order_by(CalibrationRun.id.desc())
        )
    )


def parameters_by_version(bank: str, run: CalibrationRun | None = None) -> dict[int, ItemCalibration]:
    """Each item version's row in the bank's latest calibration (or in `run`): for the bank
    and item-analysis pages. A version missing here has never been calibrated."""
    run = run or latest_run(bank)
    if run is None:
        return {}
    return {row.version_id: row for row in run.items}


def item_parameters(
    bank: str, run: CalibrationRun | None = None
) -> list[tuple[ExamItem, ItemCalibration | None]]:
    """Every item of the bank (section and code order) with its current version's row in the
    latest calibration (or in `run`), None where it has none."""
    params = parameters_by_version(bank, run)
    items = db.session.scalars(
        select(ExamItem)
        .where(ExamItem.bank == bank)
        .options(selectinload(ExamItem.versions))
        .order_by(ExamItem.section, ExamItem.code)
    )
    return [(item, params.get(item.current_version.id) if item.current_version else None) for item in items]


def band_of(difficulty: float) -> str:
    """The band a calibrated difficulty falls in (CALIBRATION_BAND_CUTS, in logits)."""
    low, high = current_app.config["CALIBRATION_BAND_CUTS"]
    return "easy" if difficulty < low else "hard" if difficulty > high else "medium"


def effective_band(item: ExamItem, row: ItemCalibration | None) -> str:
    """The calibrated band where the item has one, else its author's."""
    if row is not None and row.status == CALIBRATED and row.difficulty is not None:
        return band_of(row.difficulty)
    return item.difficulty


def is_calibrated(row: ItemCalibration | None) -> bool:
    return row is not None and row.status == CALIBRATED
