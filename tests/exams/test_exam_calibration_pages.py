"""HR's calibration and parallel-forms page: honest before any calibration, calibrate and
assemble as HR does, what the item analysis shows, and bad input answered in words."""

from __future__ import annotations

from sqlalchemy import select

from app.exams.calibration_models import CalibrationRun, FormSet


def _hr_client(app, make):
    agency = make.agency()
    return make.client_for(app, make.hr(agency))


def test_before_any_calibration_the_page_says_forms_are_drawn_at_random(app, db, make):
    make.psychometrics.topic_bank("page-bank", per_band=2)
    exam = make.exams.exam("page-bank")
    client = _hr_client(app, make)

    page = client.get(f"/hr/exams/{exam.id}/forms")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "drawn at random from the difficulty bands" in text
    assert "has not been calibrated yet" in text
    assert "Calibrate the bank first" in text


def test_thai_page_before_calibration(app, db, make):
    make.psychometrics.topic_bank("page-bank", per_band=2)
    exam = make.exams.exam("page-bank")
    client = make.client_for(app, make.hr(make.agency()), lang="th")

    text = client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)

    assert "สุ่ม" in text and "ปรับเทียบ" in text


def test_hr_calibrates_and_assembles_from_the_page(app, db, make, monkeypatch):
    monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 20)
    monkeypatch.setitem(app.config, "PARALLEL_FORMS_MAX_EXPOSURE", 0.67)
    items = make.psychometrics.topic_bank("page-bank", per_band=6)
    exam = make.exams.exam("page-bank", draw={"easy": 1, "medium": 1, "hard": 1})
    make.psychometrics.submitted_history(exam, make.psychometrics.band_truth(items, seed=21), 120, seed=21)
    client = _hr_client(app, make)

    done = client.post(
        f"/hr/exams/{exam.id}/calibrate",
        data={"calibrate-model": "rasch", "calibrate-reason": "first calibration"},
    )
    assert done.status_code == 302
    run = db.session.scalar(select(CalibrationRun))
    assert run.model == "rasch" and run.reason == "first calibration"
    page = client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)
    assert "Bank page-bank calibrated" in page
    assert "mirt 1.2.0" in page and run.snapshot_hash[:12] in page
    assert "Difficulty (b)" in page and "Calibrated" in page

    assembled = client.post(
        f"/hr/exams/{exam.id}/assemble", data={"assemble-forms": "3", "assemble-reason": "March window"}
    )
    assert assembled.status_code == 302
    assert db.session.scalar(select(FormSet)).reason == "March window"
    page = client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)
    assert "3 parallel forms assembled" in page and "Form 3" in page and "Largest difference" in page
    assert "within the tolerance of 1.00" in page


def test_bad_input_is_refused_in_words_and_nothing_is_stored(app, db, make):
    make.psychometrics.topic_bank("page-bank", per_band=2)
    exam = make.exams.exam("page-bank")
    client = _hr_client(app, make)

    no_reason = client.post(
        f"/hr/exams/{exam.id}/calibrate", data={"calibrate-model": "rasch", "calibrate-reason": ""}
    )
    assert no_reason.status_code == 422
    no_data = client.post(
        f"/hr/exams/{exam.id}/calibrate", data={"calibrate-model": "", "calibrate-reason": "try"}
    )
    assert no_data.status_code == 422
    assert "nothing to calibrate" in no_data.get_data(as_text=True)
    uncalibrated = client.post(
        f"/hr/exams/{exam.id}/assemble", data={"assemble-forms": "3", "assemble-reason": "try"}
    )
    assert uncalibrated.status_code == 422
    assert "has not been calibrated" in uncalibrated.get_data(as_text=True)
    too_many = client.post(
        f"/hr/exams/{exam.id}/assemble", data={"assemble-forms": "500", "assemble-reason": "try"}
    )
    assert too_many.status_code == 422 and "From 2 to 50 forms." in too_many.get_data(as_text=True)
    assert db.session.scalar(select(CalibrationRun.id)) is None
    assert db.session.scalar(select(FormSet.id)) is None


def test_candidates_cannot_see_the_page(app, db, make):
    make.psychometrics.topic_bank("page-bank", per_band=2)
    exam = make.exams.exam("page-bank")
    client = make.client_for(app, make.candidate())
    assert client.get(f"/hr/exams/{exam.id}/forms").status_code == 403
    assert client.post(f"/hr/exams/{exam.id}/calibrate", data={"calibrate-reason": "x"}).status_code in (
        400,
        403,
    )


def test_hr_sets_the_exam_tolerance_with_a_reason(app, db, make):
    from decimal import Decimal

    from app.audit.models import AuditEntry
    from app.exams.models import Exam

    make.psychometrics.topic_bank("page-bank", per_band=2)
    exam = make.exams.exam("page-bank")
    client = _hr_client(app, make)

    wrong = client.post(
        f"/hr/exams/{exam.id}/tolerance", data={"tolerance-tolerance": "50", "tolerance-reason": "x"}
    )
    assert wrong.status_code == 422 and "From 0.01 to 10 points." in wrong.get_data(as_text=True)
    saved = client.post(
        f"/hr/exams/{exam.id}/tolerance",
        data={"tolerance-tolerance": "0.75", "tolerance-reason": "merit list is close"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).form_tolerance == Decimal("0.75")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.form_tolerance"))
    assert entry.after["reason"] == "merit list is close"
    page = client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)
    assert "at most 0.75 points of expected score" in page


def test_hr_marks_and_removes_enemy_items_on_the_page_with_a_reason(app, db, make, monkeypatch):
    from app.audit.models import AuditEntry
    from app.exams import calibration, parallel_forms
    from app.exams.models import ItemVersion

    monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 20)
    monkeypatch.setitem(app.config, "PARALLEL_FORMS_MAX_EXPOSURE", 0.67)
    items = make.psychometrics.topic_bank("en-bank", per_band=6)
    exam = make.exams.exam("en-bank", draw={"easy": 1, "medium": 1, "hard": 1})
    make.psychometrics.submitted_history(exam, make.psychometrics.band_truth(items, seed=21), 120, seed=21)
    calibration.calibrate_bank("en-bank", None, model="rasch", seed=1)
    hr = make.hr(make.agency())
    client = make.client_for(app, hr)
    assert "No enemy items in this bank." in client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)

    # Without a reason, or with an item the bank lacks: refused in words, nothing stored.
    no_reason = client.post(
        f"/hr/exams/{exam.id}/enemies", data={"enemy-code_a": "NUM-EASY-0", "enemy-code_b": "NUM-EASY-1"}
    )
    assert no_reason.status_code == 422
    unknown = client.post(
        f"/hr/exams/{exam.id}/enemies",
        data={"enemy-code_a": "NUM-EASY-0", "enemy-code_b": "NOPE-1", "enemy-reason": "same passage"},
    )
    assert unknown.status_code == 422 and "Bank en-bank has no item NOPE-1." in unknown.get_data(as_text=True)
    assert parallel_forms.enemies_of("en-bank") == []

    # Each easy item of section num is the enemy of the medium item of the same number.
    pairs = [(f"NUM-EASY-{n}", f"NUM-MEDIUM-{n}") for n in range(6)]
    for easy, medium in pairs:
        done = client.post(
            f"/hr/exams/{exam.id}/enemies",
            data={"enemy-code_a": medium, "enemy-code_b": easy, "enemy-reason": "same passage"},
        )
        assert done.status_code == 302
    page = client.get(f"/hr/exams/{exam.id}/forms").get_data(as_text=True)
    assert "NUM-EASY-5 – NUM-MEDIUM-5" in page and "are now enemies" in page
    added = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.enemies_add"))
    assert added.actor_id == hr.id and added.after == {"items": list(pairs[0]), "reason": "same passage"}

    removed = client.post(
        f"/hr/exams/{exam.id}/enemies",
        data={
            "remove-code_a": "NUM-EASY-5",
            "remove-code_b": "NUM-MEDIUM-5",
            "remove-reason": "passage rewritten",
        },
    )
    assert removed.status_code == 302
    assert parallel_forms.enemies_of("en-bank") == pairs[:5]
    gone = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.enemies_remove"))
    assert gone.actor_id == hr.id and gone.after == {"items": list(pairs[5]), "reason": "passage rewritten"}

    # Assembly honours the pairs: never both items of one on a form.
    assembled = client.post(
        f"/hr/exams/{exam.id}/assemble", data={"assemble-forms": "3", "assemble-reason": "x"}
    )
    assert assembled.status_code == 302
    form_set = parallel_forms.current_form_set(exam)
    assert form_set.constraints["enemies"] == [list(p) for p in pairs[:5]]
    for form in form_set.forms:
        codes = {db.session.get(ItemVersion, q["version_id"]).item.code for q in form}
        assert not any(set(pair) <= codes for pair in pairs[:5])
