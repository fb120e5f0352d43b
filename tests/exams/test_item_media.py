"""Images and audio of bank items: kept with the item version, served to a candidate only while
their attempt holding the item is in progress, to bank managers and HR always, to anyone else
404; and the question sent over the socket carries the rendered text pointing at them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.exams import sitting_control, starting, submission
from app.exams.models import ExamItem, ItemAsset
from app.extensions import socketio
from tests.factories import bank as bank_files
from tests.factories import exams as eh


@pytest.fixture
def under_way(db, make, tmp_path):
    exam = bank_files.imported(tmp_path / "bank")
    sitting, hr = eh.sitting(make, exam)
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(sitting, hr)
    starting.begin_if_due(attempt)
    chart = db.session.scalar(
        select(ExamItem).where(ExamItem.bank == bank_files.BANK, ExamItem.code == "DATA-CHART")
    ).current_version
    return dict(exam=exam, sitting=sitting, hr=hr, cand=cand, attempt=attempt, chart=chart)


def media_url(version, name="chart.png"):
    return f"/exams/media/{version.id}/{name}"


def test_the_import_keeps_each_file_with_its_version_outside_static(app, under_way):
    assets = under_way["chart"].assets
    assert [(a.name, a.content_type, a.bank) for a in assets] == [("chart.png", "image/png", bank_files.BANK)]
    assert len(assets[0].sha256) == 64 and assets[0].size == len(bank_files.png())
    assert "static" not in app.config["UPLOAD_DIR"]


def test_the_candidate_whose_attempt_holds_the_item_gets_it_while_in_progress(app, make, under_way):
    client = make.client_for(app, under_way["cand"])
    resp = client.get(media_url(under_way["chart"]))
    assert resp.status_code == 200
    assert resp.mimetype == "image/png" and resp.data == bank_files.png()
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp.headers["Cache-Control"]


def test_after_submission_the_same_candidate_gets_404(app, make, under_way):
    submission.submit(under_way["attempt"], "candidate")
    assert make.client_for(app, under_way["cand"]).get(media_url(under_way["chart"])).status_code == 404


def test_another_candidate_and_anonymous_get_404(app, make, under_way):
    other_sitting, _hr = eh.sitting(make, under_way["exam"])
    other, seat = eh.seated(make, other_sitting)
    eh.check_in(other, seat)
    assert make.client_for(app, other).get(media_url(under_way["chart"])).status_code == 404
    assert app.test_client().get(media_url(under_way["chart"])).status_code == 404


def test_a_name_the_version_does_not_hold_is_404_even_for_the_candidate(app, make, under_way):
    client = make.client_for(app, under_way["cand"])
    assert client.get(media_url(under_way["chart"], "notice.mp3")).status_code == 404
    assert client.get(media_url(under_way["chart"], "../../config.py")).status_code == 404


def test_bank_managers_and_hr_always_see_the_files(app, make, under_way):
    submission.submit(under_way["attempt"], "candidate")
    for user in (bank_files.bank_manager(), under_way["hr"]):
        assert make.client_for(app, user).get(media_url(under_way["chart"])).status_code == 200


def test_the_question_over_the_socket_carries_the_rendered_table_and_image(app, make, under_way):
    sock = socketio.test_client(
        app, namespace="/exam", flask_test_client=make.client_for(app, under_way["cand"])
    )
    joined = sock.emit("join", {"sitting_id": under_way["sitting"].id}, namespace="/exam", callback=True)
    assert joined["ok"], joined
    by_code = {}
    for index in range(3):
        ack = sock.emit("question", {"index": index}, namespace="/exam", callback=True)
        assert ack["ok"], ack
        by_code[ack["question"]["stem"][:6]] = ack["question"]
    table = next(q for q in by_code.values() if "<table>" in q["stem_html"])
    assert 'role="region"' in table["stem_html"] and "ไตรมาส" in table["stem_html"]
    chart = next(q for q in by_code.values() if "<img" in q["stem_html"])
    assert f'src="/exams/media/{under_way["chart"].id}/chart.png"' in chart["stem_html"]
    assert 'alt="กราฟแท่งยอดขายรายไตรมาส"' in chart["stem_html"]
    assert any("<em>30</em>" in c["html"] for c in chart["choices"])
    sock.disconnect(namespace="/exam")


def test_the_assets_table_refuses_an_empty_file(db, under_way):
    from sqlalchemy.exc import IntegrityError

    db.session.add(
        ItemAsset(
            bank="b",
            item_version_id=under_way["chart"].id,
            name="x.png",
            content_type="image/png",
            sha256="0" * 64,
            size=0,
            stored_name="x.png",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_once_the_time_is_up_the_file_is_404_even_before_the_sweeper_submits(app, make, db, under_way):
    from datetime import timedelta

    from app.common import clock

    attempt = under_way["attempt"]
    clock.set_now(attempt.deadline + timedelta(seconds=1))
    try:
        assert make.client_for(app, under_way["cand"]).get(media_url(under_way["chart"])).status_code == 404
    finally:
        clock.set_now(None)
