"""Scores on one scale: IRT true-score equating checked against known truth (simulated
candidates on forms of different difficulty), against the library's own implementation, and
as HR and candidates meet it: equated beside raw on the results pages, honest without a
calibration, audited."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import mirt
import numpy as np
import pytest
from flask_babel import refresh
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.common.errors import ValidationFailed
from app.exams import calibration, equating, irt, parallel_forms
from app.exams.calibration_models import EquatedScore
from app.exams.candidate import points
from app.merit import generation, public, workflow
from app.merit.announcement_pdf import render_announcement
from app.scores import part_a, recording
from app.scores.models import StageScore


def test_true_score_equating_gives_what_mirt_gives():
    # mirt's true_score_equating maps whole number-correct scores between two models; ours
    # also takes weighted and fractional scores. On number-correct scores the two agree.
    rng = np.random.default_rng(4)
    a1, b1 = np.exp(rng.normal(0, 0.3, 12)), rng.normal(-0.4, 1, 12)
    a2, b2 = np.exp(rng.normal(0, 0.3, 12)), rng.normal(0.4, 1, 12)
    form, reference = mirt.TwoParameterLogistic(12), mirt.TwoParameterLogistic(12)
    form.set_parameters(discrimination=a1, difficulty=b1)
    reference.set_parameters(discrimination=a2, difficulty=b2)

    table = mirt.true_score_equating(form, reference)

    ours = [irt.true_score_equate(x, (a1, b1, 1.0), (a2, b2, 1.0))[0] for x in range(13)]
    assert np.allclose(ours, table.new_scores, atol=1e-6)
    # The ends, as Kolen & Brennan say for a curve without guessing: 0 → 0, full → full.
    assert ours[0] == 0.0 and ours[12] == 12.0
    # Weighted items (2 points each): the same ability, twice the points.
    half = irt.true_score_equate(5, (a1, b1, 1.0), (a2, b2, 1.0))[0]
    assert irt.true_score_equate(10, (a1, b1, 2.0), (a2, b2, 2.0))[0] == pytest.approx(2 * half)


def test_equating_recovers_true_scores_on_the_reference_form_better_than_raw_scores():
    """Known truth: an easy, a reference and a hard form (20 items each, no item shared) sat by
    random thirds of 3,000 candidates of ability ~ N(0, 1). The items are calibrated together
    from the responses (2PL); each raw score on the easy and hard forms is equated to the
    reference form with the *estimated* parameters and compared with the candidate's true
    score on the reference form, τ_ref(θ) with the *true* parameters."""
    rng = np.random.default_rng(2026)
    n_items, n_people = 20, 3000
    centres = {"easy": -0.7, "reference": 0.0, "hard": 0.7}
    forms = {}
    for f, (name, centre) in enumerate(centres.items()):
        ids = list(range(f * n_items, (f + 1) * n_items))
        forms[name] = (ids, np.exp(rng.normal(0, 0.25, n_items)), rng.normal(centre, 0.5, n_items))
    theta = rng.normal(0, 1, n_people)
    taken = rng.choice(list(centres), size=n_people)
    triples, raw = [], np.zeros(n_people)
    for person in range(n_people):
        ids, a, b = forms[taken[person]]
        right = rng.random(n_items) < irt.probability([theta[person]], a, b)[0]
        raw[person] = right.sum()
        triples.extend((person, i, int(r)) for i, r in zip(ids, right, strict=True))

    fit = calibration.fit_responses(triples, calibration.TWO_PL, seed=3, min_responses=30)
    estimated = {
        name: ([fit.items[i].discrimination for i in ids], [fit.items[i].difficulty for i in ids], 1.0)
        for name, (ids, _a, _b) in forms.items()
    }
    _ids, ref_a, ref_b = forms["reference"]
    truth = np.array(irt.expected_scores(theta, ref_a, ref_b))

    for name in ("easy", "hard"):
        who = np.flatnonzero(taken == name)
        equated = np.array(
            [irt.true_score_equate(raw[p], estimated[name], estimated["reference"])[0] for p in who]
        )
        rmse_raw = float(np.sqrt(np.mean((raw[who] - truth[who]) ** 2)))
        rmse_equated = float(np.sqrt(np.mean((equated - truth[who]) ** 2)))
        bias_raw = float(np.mean(raw[who] - truth[who]))
        bias_equated = float(np.mean(equated - truth[who]))
        # Measured with this seed: easy form raw bias +1.88, RMSE 2.84; equated bias +0.42,
        # RMSE 2.34. Hard form raw −3.35, 4.02; equated −0.15, 2.37. The thresholds:
        # the raw score carries the form's difficulty (points on 20 items) ...
        assert abs(bias_raw) >= 1.5
        # ... equating takes most of it out (true-score equating applied to observed scores
        # keeps a little bias, Kolen & Brennan 6.4) ...
        assert abs(bias_equated) <= 0.6 and abs(bias_equated) <= 0.3 * abs(bias_raw)
        # ... and what is left is mostly the test's own noise (about 2 points on 20 items).
        assert rmse_equated <= 2.6
        assert rmse_equated <= 0.9 * rmse_raw


# ---- the platform ------------------------------------------------------------------------------


@pytest.fixture
def equated_exam(app, db, make, monkeypatch):
    """An exam whose bank was calibrated on 150 past candidates (forms drawn at random by
    bands, so of different real difficulty) and whose parallel forms were assembled."""
    monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 10)
    monkeypatch.setitem(app.config, "PARALLEL_FORMS_TIME_LIMIT_SECONDS", 20)
    items = make.psychometrics.topic_bank("eq-bank", per_band=6)
    exam = make.exams.exam("eq-bank", draw={"easy": 1, "medium": 1, "hard": 1})
    truth = make.psychometrics.band_truth(items, seed=21)
    attempts = make.psychometrics.submitted_history(exam, truth, n_candidates=150, seed=21)
    calibration.calibrate_bank("eq-bank", None, model="rasch", seed=1)
    parallel_forms.assemble_exam_forms(exam, None, 3, max_exposure=0.67)
    return exam, attempts


def test_hr_equates_the_scores_kept_beside_the_raw_ones_and_audited(db, make, equated_exam):
    exam, attempts = equated_exam
    hr = make.hr(make.agency())

    result = equating.equate_exam_scores(exam, hr, reason="window sitting, March")

    run = calibration.latest_run(exam.bank)
    form_set = parallel_forms.current_form_set(exam)
    params = calibration.parameters_by_version(exam.bank)
    thin = {
        a.id
        for a in attempts
        if any(not calibration.is_calibrated(params.get(q["version_id"])) for q in a.form)
    }
    # Only a test holding an item without parameters is left unequated (and said so).
    assert result.equated == len(attempts) - len(thin) >= 100
    assert result.skipped == ({equating.UNCALIBRATED: len(thin)} if thin else {})
    rows = equating.current_equated(a.id for a in attempts)
    assert set(rows) == {a.id for a in attempts} - thin
    for attempt in (a for a in attempts if a.id not in thin):
        row = rows[attempt.id]
        assert row.run_id == run.id and row.form_set_id == form_set.id
        assert row.raw == attempt.score  # the raw score is kept, on the attempt too
        assert Decimal(0) <= row.equated <= row.max_score == attempt.max_score
        if attempt.score in (0, attempt.max_score):
            assert row.equated == attempt.score and row.theta is None
    # Forms of different difficulty: the same raw score is worth different equated scores.
    by_raw = {}
    for attempt in (a for a in attempts if a.id not in thin):
        by_raw.setdefault(attempt.score, set()).add(rows[attempt.id].equated)
    assert any(len(values) > 1 for values in by_raw.values())
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.equate_scores"))
    assert entry.actor_id == hr.id and entry.after["calibration"] == run.id
    assert entry.after["equated"] == result.equated and entry.after["reason"] == "window sitting, March"

    # Equating again with the same calibration updates in place: one row per attempt and run.
    equating.equate_exam_scores(exam, hr, reason="again")
    assert db.session.query(EquatedScore).count() == result.equated


def test_without_calibration_nothing_is_equated_and_the_pages_say_so(app, db, make):
    make.psychometrics.topic_bank("raw-bank", per_band=2)
    exam = make.exams.exam("raw-bank")
    with pytest.raises(ValidationFailed, match="have not been calibrated"):
        equating.equate_exam_scores(exam, None)
    client = make.client_for(app, make.hr(make.agency()))
    page = client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)
    assert "scores cannot be equated" in page and "Equate the submitted scores" not in page
    # A candidate's result: no equated score, and the page says the raw score is the only one.
    sitting, _hr = make.exams.sitting(make, exam)
    cand, seat = make.exams.seated(make, sitting)
    make.exams.check_in(cand, seat, at=sitting.starts_at)
    seat.attempt.status, seat.attempt.score, seat.attempt.max_score = "submitted", Decimal(4), Decimal(6)
    db.session.commit()
    mine = make.client_for(app, cand).get(f"/exams/sittings/{sitting.id}/result").get_data(as_text=True)
    assert "There is no equated score for this test" in mine and "Equated score:" not in mine


def test_results_pages_show_raw_and_equated_scores(app, db, make, equated_exam):
    exam, attempts = equated_exam
    sitting = attempts[0].seat.sitting
    sitting_id = sitting.id
    client = make.client_for(app, make.hr(sitting.agency))

    before = client.get(f"/hr/sittings/{sitting_id}/results").get_data(as_text=True)
    assert "Equated score" in before and "not equated" in before

    done = client.post(f"/hr/exams/{exam.id}/equate", data={"equate-reason": "first window"})
    assert done.status_code == 302
    rows = equating.current_equated(a.id for a in attempts)
    page = client.get(f"/hr/sittings/{sitting_id}/results").get_data(as_text=True)
    shown = rows[attempts[0].id]
    assert f"{shown.equated} / {shown.max_score}" in page and f"{attempts[0].score} / " in page

    refused = client.post(f"/hr/exams/{exam.id}/equate", data={"equate-reason": ""})
    assert refused.status_code == 422

    # The candidate sees both on their result page (results are immediate for this exam).
    person = make.candidate()  # (the simulated candidates cannot log in: one who can takes the seat)
    attempts[0].seat.candidate_id = person.id
    db.session.commit()
    candidate = make.client_for(app, person)
    mine = candidate.get(f"/exams/sittings/{sitting_id}/result").get_data(as_text=True)
    assert f"Equated score: {points(shown.equated)} of {points(shown.max_score)} points" in mine
    assert f"{points(attempts[0].score)} of {points(attempts[0].max_score)} points" in mine


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "announcement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_round_chooses_which_part_a_score_ranks_and_the_announcement_says_it(
    app, db, make, equated_exam, tmp_path
):
    exam, attempts = equated_exam
    equating.equate_exam_scores(exam, None, reason="before the list")
    rows = equating.current_equated(a.id for a in attempts)
    # Two candidates with the same raw score on forms of different difficulty.
    pair = next(
        (x, y)
        for x in attempts
        for y in attempts
        if x.id in rows and y.id in rows and x.score == y.score and rows[x.id].equated > rows[y.id].equated
    )
    agency, round_, (easy_form, hard_form) = make.applications.round_with_applicants(db, make, n=2)
    round_.stage("part_a").counts_for_ranking = True
    for applicant, attempt in zip((hard_form, easy_form), pair, strict=True):
        attempt.seat.candidate_id = applicant.candidate_id
    attempts[0].seat.sitting.round_id = round_.id
    db.session.commit()
    hr = make.hr(agency)
    client = make.client_for(app, hr)

    # HR chooses the equated score on the stage-score page, with a reason (audited).
    refused = client.post(f"/hr/rounds/{round_.id}/scores/part-a-ranks", data={"ranks": "equated"})
    assert refused.status_code == 422 and round_.part_a_ranks == "raw"
    done = client.post(
        f"/hr/rounds/{round_.id}/scores/part-a-ranks",
        data={"ranks": "equated", "ranks_reason": "window sitting over three days"},
    )
    assert done.status_code == 302 and db.session.get(type(round_), round_.id).part_a_ranks == "equated"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round.part_a_ranks"))
    assert entry.actor_id == hr.id and entry.before == {"ranks": "raw"}
    assert entry.after == {"ranks": "equated", "reason": "window sitting over three days"}

    client.post(f"/hr/rounds/{round_.id}/scores/sync-part-a")
    stored = {s.application_id: s for s in db.session.scalars(select(StageScore))}
    stage = round_.stage("part_a")
    for applicant, attempt in zip((hard_form, easy_form), pair, strict=True):
        row = rows[attempt.id]
        assert stored[applicant.id].score == part_a.scale(row.equated, attempt.max_score, stage.max_score)
        assert stored[applicant.id].source_ref == f"attempt:{attempt.id}:equated:{row.run_id}"
    # Same raw score; the harder form's candidate ranks first on the equated score.
    assert stored[hard_form.id].score > stored[easy_form.id].score
    page = client.get(f"/hr/rounds/{round_.id}/scores?stage=part_a").get_data(as_text=True)
    assert "The Part A score used is the equated score" in page

    for applicant in (hard_form, easy_form):
        recording.record_stage_score(applicant, "part_b", 150, source="hr_entry")
        recording.record_stage_score(applicant, "part_c", 80, source="hr_entry")
    ml = generation.generate_list(round_, hr)
    assert [e.application_id for e in sorted(ml.entries, key=lambda e: e.rank)] == [
        hard_form.id,
        easy_form.id,
    ]
    basis = public.part_a_basis(ml)
    assert basis.ranks == "equated" and basis.runs == [rows[pair[0].id].run_id]
    text = _pdf_text(render_announcement(ml, None), tmp_path)
    assert "คะแนนปรับเทียบ" in text and "Kolen" in text
    # Published, the web announcement says it too (in Thai, and in English).
    approver = make.hr(agency, approver=True)
    workflow.approve(ml, approver, changes_seen=True)
    workflow.publish(ml, approver)
    refresh()  # (the test's one app context keeps the locale of the last request: forget it)
    public_th = app.test_client().get(f"/lists/{ml.id}").get_data(as_text=True)  # Thai by default
    assert "คะแนนภาค ก ที่ใช้เป็นคะแนนปรับเทียบ" in public_th
    refresh()
    public_en = make.client_for(app).get(f"/lists/{ml.id}").get_data(as_text=True)
    assert "The Part A score used is the equated score" in public_en and "Kolen" in public_en

    # Back to raw: the next pull takes the raw score, and the scores page says so.
    part_a.set_part_a_ranks(round_, hr, "raw", "the forms were parallel")
    result = part_a.sync_part_a_from_exams(round_, hr)
    assert result.ranks == "raw"
    assert db.session.get(StageScore, stored[hard_form.id].id).source_ref == f"attempt:{pair[0].id}"
    assert part_a.ranking_basis(round_).ranks == "raw"
    page = client.get(f"/hr/rounds/{round_.id}/scores?stage=part_a").get_data(as_text=True)
    assert "The Part A score used is the raw score" in page
    assert "คะแนนดิบ" in part_a.basis_statement_th(part_a.ranking_basis(round_))


def test_equated_is_not_taken_unless_every_applicant_has_one(app, db, make, equated_exam):
    exam, attempts = equated_exam  # not equated yet
    agency, round_, (applicant,) = make.applications.round_with_applicants(db, make, n=1)
    attempts[0].seat.candidate_id = applicant.candidate_id
    attempts[0].seat.sitting.round_id = round_.id
    db.session.commit()
    hr = make.hr(agency)
    part_a.set_part_a_ranks(round_, hr, "equated", "window sitting")
    client = make.client_for(app, hr)

    page = client.post(f"/hr/rounds/{round_.id}/scores/sync-part-a", follow_redirects=True)

    assert "1 tests have no equated score" in page.get_data(as_text=True)
    score = db.session.scalar(select(StageScore))
    assert score.source_ref == f"attempt:{attempts[0].id}"  # raw, for everyone
    assert part_a.ranking_basis(round_).ranks == "raw"


def test_cli_equates_an_exam_and_refuses_one_without_calibration(db, make, equated_exam, runner):
    exam, attempts = equated_exam

    done = runner.invoke(args=["bank", "equate", exam.code, "--reason", "cli"])

    assert done.exit_code == 0, done.output
    run = calibration.latest_run(exam.bank)
    assert (
        f"with calibration run {run.id}" in done.output
        and f"Equated {len(equating.current_equated(a.id for a in attempts))} scores" in done.output
    )
    make.exams.bank("plain-bank")
    plain = make.exams.exam("plain-bank")
    refused = runner.invoke(args=["bank", "equate", plain.code])
    assert (
        refused.exit_code == 1
        and "error: The items of bank plain-bank have not been calibrated" in refused.output
    )
