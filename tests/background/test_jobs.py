"""Long work as background jobs: a large CSV import and a bulk approval of a thousand run as jobs
with their progress and a result page; the scheduler's pass runs a queued job to completion,
progress visible while it runs; errors are shown to the owner; nobody else sees the job."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.applications.models import Application, ApplicationStatus
from app.background import services
from app.background.models import BackgroundJob
from app.common.errors import NotAllowed
from app.extensions import db as _db
from app.recruitment.models import RoundStatus
from app.scores.models import StageScore
from tests.factories.applications import many_applications
from tests.factories.background import queued_job
from tests.support.reading import audit_count, page_text


def _seen_progress(progress, steps: int):
    """A job that reports each step and reads back, on the app's session, what a poll sees."""
    seen = []
    for i in range(1, steps + 1):
        progress(i, steps, f"step {i}")
        seen.append(_db.session.execute(select(BackgroundJob.done, BackgroundJob.total)).one())
        _db.session.rollback()
    return services.Outcome(summary="counted", data={"seen": [list(s) for s in seen]})


def _refusing(progress):
    progress(0, 3)
    raise NotAllowed("The round is closed.")


def _crashing(progress):
    raise RuntimeError("disk full")


services.register("tests.count", _seen_progress)
services.register("tests.refuse", _refusing)
services.register("tests.crash", _crashing)


def test_the_scheduler_runs_a_queued_job_to_completion_and_its_progress_shows_meanwhile(app, db, make):
    owner = make.hr(make.agency())
    job = queued_job("tests.count", owner, {"steps": 4})
    job_id = job.id
    c = make.client_for(app, owner)
    before = c.get(f"/jobs/{job.id}.json").get_json()["job"]
    assert before["status"] == "queued" and before["finished"] is False and before["percent"] is None
    waiting = c.get(f"/jobs/{job.id}")
    assert "Waiting to start" in page_text(waiting) and "job-progress.js" in waiting.get_data(as_text=True)

    assert services.run_queued() == {"ran": [job_id]}
    assert services.run_queued() == {"ran": []}  # claimed once

    done = c.get(f"/jobs/{job_id}.json").get_json()["job"]
    assert done["status"] == "done" and done["percent"] == 100 and done["summary"] == "counted"
    stored = db.session.get(BackgroundJob, job_id)
    assert stored.result["seen"] == [[1, 4], [2, 4], [3, 4], [4, 4]]  # each step visible as it happened
    assert "counted" in page_text(c.get(f"/jobs/{job_id}"))


def test_a_refused_job_tells_its_owner_why_and_a_crash_says_it_failed(app, db, make):
    owner = make.hr(make.agency())
    refused = queued_job("tests.refuse", owner, {}).id
    crashed = queued_job("tests.crash", owner, {}).id
    c = make.client_for(app, owner)
    services.run_queued()
    assert c.get(f"/jobs/{refused}.json").get_json()["job"]["error"] == "The round is closed."
    body = page_text(c.get(f"/jobs/{crashed}"))
    assert "The job failed because of an error on the server." in body and "disk full" not in body


def test_only_the_owner_sees_a_job(app, db, make):
    agency = make.agency()
    job = queued_job("tests.count", make.hr(agency), {"steps": 1})
    other = make.client_for(app, make.hr(agency))
    assert other.get(f"/jobs/{job.id}").status_code == 403
    assert other.get(f"/jobs/{job.id}.json").status_code == 403
    assert make.client_for(app).get(f"/jobs/{job.id}.json").status_code in (302, 401)


def test_a_large_csv_import_runs_as_a_job_with_a_result_page(app, db, make):
    agency = make.agency()
    round_ = make.round_(agency, status=RoundStatus.IN_PROGRESS)
    ids = many_applications(round_, 600, status=ApplicationStatus.APPROVED)
    numbers = list(db.session.scalars(select(Application.number).where(Application.id.in_(ids))))
    text = "application_number,score\n" + "".join(f"{n},{100 + i % 50}\n" for i, n in enumerate(numbers))
    c = make.client_for(app, make.hr(agency))
    resp = c.post(
        f"/hr/rounds/{round_.id}/scores/import",
        data={"stage_kind": "part_b", "file": (io.BytesIO(text.encode()), "big.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    result = c.get(resp.headers["Location"])
    body = page_text(result)
    assert "600 scores imported: 600 new, 0 changed, 0 unchanged." in body
    assert f"/hr/rounds/{round_.id}/scores" in result.get_data(as_text=True)  # the way back
    assert db.session.scalar(select(func.count()).select_from(StageScore)) == 600
    job = db.session.scalars(select(BackgroundJob)).one()
    assert (job.status, job.done, job.total) == ("done", 600, 600)


def test_a_large_import_with_a_bad_line_fails_as_a_job_and_imports_nothing(app, db, make):
    agency = make.agency()
    round_ = make.round_(agency, status=RoundStatus.IN_PROGRESS)
    ids = many_applications(round_, 550, status=ApplicationStatus.APPROVED)
    numbers = list(db.session.scalars(select(Application.number).where(Application.id.in_(ids))))
    lines = [f"{n},120\n" for n in numbers]
    lines[300] = f"{numbers[300]},abc\n"
    c = make.client_for(app, make.hr(agency))
    resp = c.post(
        f"/hr/rounds/{round_.id}/scores/import",
        data={
            "stage_kind": "part_b",
            "file": (io.BytesIO(("application_number,score\n" + "".join(lines)).encode()), "b.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = page_text(resp)
    assert "Nothing was imported." in body and "Line 302, column score" in body
    assert db.session.scalar(select(func.count()).select_from(StageScore)) == 0


@pytest.mark.parametrize("scope", ["matching", "selected"])
def test_approving_a_thousand_runs_as_a_job_each_approval_audited(app, db, make, scope):
    agency = make.agency()
    round_ = make.round_(agency)
    ids = many_applications(round_, 1000)
    c = make.client_for(app, make.hr(agency))
    data = {"scope": scope, "confirmed": "yes"}
    data |= {"up_to_id": str(max(ids))} if scope == "matching" else {"ids": ids}
    resp = c.post(f"/hr/rounds/{round_.id}/applications/approve", data=data)
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    body = page_text(c.get(resp.headers["Location"]))
    assert "1000 applications approved." in body
    assert audit_count(db, "application.approve") == 1000
    approved = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.status == ApplicationStatus.APPROVED)
    )
    assert approved == 1000


def test_hr_builds_a_lists_pdf_in_the_background_and_downloads_it(app, db, make):
    from app.merit import generation
    from tests.factories.merit import scored_round

    agency, round_, _apps = scored_round(db, make, [(150, 150, 80), (150, 125, 70)])
    hr = make.hr(agency)
    ml = generation.generate_list(round_, hr)
    c = make.client_for(app, hr)
    resp = c.post(f"/hr/lists/{ml.id}/outputs/pdf")
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    page = c.get(resp.headers["Location"])
    assert "The PDF of the list is ready" in page_text(page)
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    pdf = c.get(f"/jobs/{job_id}/file")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"] and ".pdf" in pdf.headers["Content-Disposition"]
    other = make.client_for(app, make.hr(agency))
    assert other.get(f"/jobs/{job_id}/file").status_code == 403
    assert c.post(f"/hr/lists/{ml.id}/outputs/docx").status_code == 404


def test_a_job_left_running_by_an_ended_process_is_marked_failed(app, db, make):
    from datetime import timedelta

    from app.common.clock import now

    owner = make.hr(make.agency())
    job = queued_job("tests.count", owner, {"steps": 1})
    job.status, job.started_at = "running", now() - timedelta(hours=2)
    db.session.commit()
    job_id = job.id
    c = make.client_for(app, owner)
    assert services.run_queued() == {"ran": [], "interrupted": [job_id]}
    state = c.get(f"/jobs/{job_id}.json").get_json()["job"]
    assert state["status"] == "failed" and "interrupted" in state["error"]


def test_preparing_the_list_of_a_large_round_runs_as_a_job_that_leads_to_the_draft(app, db, make):
    from app.merit.models import MeritList
    from tests.factories.merit import Scene

    scene = Scene(make, 1200)  # above BACKGROUND_ROWS_THRESHOLD (500)
    c = make.client_for(app, scene.preparer)
    resp = c.post(f"/hr/rounds/{scene.round.id}/lists", data={"kind": "merit", "tie_break": ""})
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    page = c.get(resp.headers["Location"])
    body = page_text(page)
    assert "Draft prepared:" in body and "version 1" in body
    ml = db.session.scalars(select(MeritList).where(MeritList.round_id == scene.round.id)).one()
    assert len(ml.entries) == 1200
    assert f'href="/hr/lists/{ml.id}"' in page.get_data(as_text=True) and "Open the draft list" in body
    assert audit_count(db, "merit_list.prepare") == 1


def test_preparing_a_small_rounds_list_answers_at_once(app, db, make):
    from tests.factories.merit import Scene

    scene = Scene(make, 5)
    c = make.client_for(app, scene.preparer)
    resp = c.post(f"/hr/rounds/{scene.round.id}/lists", data={"kind": "merit", "tie_break": ""})
    assert resp.status_code == 302 and "/hr/lists/" in resp.headers["Location"]
