"""Calibrating a bank with item response theory: known parameters recovered from simulated
responses, runs stored and reproducible, thin data honest, and HR's command line."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.common.errors import ValidationFailed
from app.exams import calibration
from app.exams.calibration_models import CalibrationRun, ItemCalibration
from app.exams.models import ExamItem


def _recovery(fit, a, b):
    est_b = np.array([fit.items[i].difficulty for i in range(len(b))])
    est_a = np.array([fit.items[i].discrimination for i in range(len(a))])
    return (
        np.corrcoef(est_b, b)[0, 1],
        float(np.sqrt(np.mean((est_b - b) ** 2))),
        np.corrcoef(est_a, a)[0, 1],
        float(np.sqrt(np.mean((est_a - a) ** 2))),
    )


def test_2pl_calibration_recovers_known_parameters_from_random_forms(make):
    # 40 items, 1,500 candidates answering 20 random items each (750 responses an item).
    a, b = make.psychometrics.true_parameters(40, seed=11)
    triples = make.psychometrics.simulated_triples(a, b, n_people=1500, per_person=20, seed=11)

    fit = calibration.fit_responses(triples, calibration.TWO_PL, seed=5, min_responses=30)

    r_b, rmse_b, r_a, rmse_a = _recovery(fit, a, b)
    assert fit.converged
    assert r_b >= 0.97 and rmse_b <= 0.20  # difficulties: close
    assert r_a >= 0.75 and rmse_a <= 0.20  # discriminations need more data: looser
    # Data simulated from the model fit it: infit mean squares near 1.
    assert all(0.7 < it.infit < 1.3 for it in fit.items.values())


def test_rasch_calibration_recovers_known_difficulties(make):
    a, b = make.psychometrics.true_parameters(30, seed=3, rasch=True)
    triples = make.psychometrics.simulated_triples(a, b, n_people=600, per_person=15, seed=3)

    fit = calibration.fit_responses(triples, calibration.RASCH, seed=1, min_responses=30)

    est_b = np.array([fit.items[i].difficulty for i in range(len(b))])
    assert np.corrcoef(est_b, b)[0, 1] >= 0.97
    assert np.sqrt(np.mean((est_b - b) ** 2)) <= 0.25
    assert {it.discrimination for it in fit.items.values()} == {1.0}


def test_items_with_too_few_responses_are_not_calibrated(make):
    a, b = make.psychometrics.true_parameters(10, seed=4)
    triples = make.psychometrics.simulated_triples(a, b, n_people=300, per_person=10, seed=4)
    triples += [(1000 + p, 99, p % 2) for p in range(12)]  # a new item, 12 responses

    fit = calibration.fit_responses(triples, calibration.RASCH, seed=1, min_responses=30)

    assert fit.items[99].status == calibration.TOO_FEW and fit.items[99].n == 12
    assert fit.items[99].difficulty is None and fit.items[99].facility == 0.5
    assert all(fit.items[i].status == calibration.CALIBRATED for i in range(10))


@pytest.fixture
def history(app, db, make, monkeypatch):
    """A bank of 36 items whose exam was sat by 120 candidates (12 items each, about 40
    responses an item), answering as known parameters say."""
    monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 20)
    items = make.psychometrics.topic_bank("cal-bank", per_band=6)
    exam = make.exams.exam("cal-bank", draw={"easy": 2, "medium": 2, "hard": 2})
    truth = make.psychometrics.band_truth(items, seed=8)
    attempts = make.psychometrics.submitted_history(exam, truth, n_candidates=120, seed=8)
    return exam, truth, attempts


def test_hr_calibrates_a_bank_stored_with_its_snapshot_and_audited(db, make, history):
    exam, truth, attempts = history
    hr = make.hr(make.agency())

    run = calibration.calibrate_bank("cal-bank", hr, model="rasch", seed=42, reason="after the March sitting")

    stored = db.session.get(CalibrationRun, run.id)
    assert stored.model == "rasch" and stored.seed == 42 and stored.library == "mirt"
    assert stored.library_version == "1.2.0"
    assert stored.candidates == 120 and stored.responses == 120 * 12
    assert sorted(stored.attempt_ids) == sorted(a.id for a in attempts)
    assert len(stored.snapshot_hash) == 64
    rows = calibration.parameters_by_version("cal-bank")
    calibrated = [r for r in rows.values() if r.status == "calibrated"]
    assert len(calibrated) == len(rows) == 36
    # The calibrated difficulties follow the truth the responses were simulated from.
    vids = sorted(rows)
    r = np.corrcoef([rows[v].difficulty for v in vids], [truth[v][1] for v in vids])[0, 1]
    assert r >= 0.85
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.calibrate"))
    assert entry.actor_id == hr.id and entry.after["seed"] == 42
    assert (
        entry.after["snapshot"] == stored.snapshot_hash and entry.after["reason"] == "after the March sitting"
    )


def test_same_snapshot_and_seed_give_the_same_parameters(db, history):
    first = calibration.calibrate_bank("cal-bank", None, model="2pl", seed=7)
    second = calibration.calibrate_bank("cal-bank", None, model="2pl", seed=7)

    assert first.snapshot_hash == second.snapshot_hash
    a = {r.version_id: (r.discrimination, r.difficulty) for r in first.items}
    b = {r.version_id: (r.discrimination, r.difficulty) for r in second.items}
    assert a == b
    again = calibration.reproduce(first)
    assert again.same_data and again.same_library and again.reproduced


def test_thin_data_keeps_the_author_band(app, db, history, monkeypatch):
    monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 10_000)
    exam, _truth, _attempts = history

    run = calibration.calibrate_bank("cal-bank", None, seed=1)

    assert {r.status for r in run.items} == {"too_few"}
    item = db.session.scalar(select(ExamItem).where(ExamItem.code == "NUM-HARD-0"))
    row = calibration.parameters_by_version("cal-bank")[item.current_version.id]
    assert row.difficulty is None and row.n > 0
    assert calibration.effective_band(item, row) == "hard"


def test_calibrating_needs_a_bank_with_submitted_tests(db, make):
    make.psychometrics.topic_bank("empty-bank", per_band=2)
    with pytest.raises(ValidationFailed, match="nothing to calibrate"):
        calibration.calibrate_bank("empty-bank", None)
    with pytest.raises(ValidationFailed, match="no bank"):
        calibration.calibrate_bank("no-such-bank", None)
    assert db.session.scalar(select(CalibrationRun.id)) is None


def test_cli_calibrates_a_bank_and_reports_it(db, history, runner):
    result = runner.invoke(args=["bank", "calibrate", "cal-bank", "--model", "rasch", "--seed", "3"])

    assert result.exit_code == 0, result.output
    assert "Calibrated bank cal-bank" in result.output
    assert "36 calibrated, 0 with too few responses" in result.output
    run = db.session.scalar(select(CalibrationRun))
    assert run.seed == 3 and run.model == "rasch"
    assert db.session.scalar(select(ItemCalibration).where(ItemCalibration.run_id == run.id)) is not None

    again = runner.invoke(args=["bank", "calibrate", "cal-bank", "--reproduce", str(run.id)])
    assert again.exit_code == 0, again.output
    assert "reproduced" in again.output


def test_cli_refuses_a_bank_without_data(db, runner):
    result = runner.invoke(args=["bank", "calibrate", "nothing-here"])
    assert result.exit_code == 1
    assert "error: There is no bank nothing-here." in result.output
