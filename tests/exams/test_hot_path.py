"""The hot path's statements on the driver's own cursor (app/exams/hot.py `first`): what they
read is what the ORM reads, in our types (UTC datetimes), on either database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from app.exams import answering, hot, joining
from app.exams.models import Attempt
from app.extensions import db, socketio
from tests.factories import exams as eh


def test_a_status_read_on_the_hot_path_is_what_the_orm_reads(app, make):
    eh.typed_bank()
    sitting, _hr = eh.sitting(make, eh.typed_exam(), mode="window", starts_in=timedelta(minutes=-1))
    cand, seat = eh.seated(make, sitting)
    attempt_id = eh.check_in(cand, seat).id
    sio = socketio.test_client(app, namespace="/exam", flask_test_client=make.client_for(app, cand))
    assert sio.emit("join", {"sitting_id": sitting.id}, namespace="/exam", callback=True)["ok"]
    assert sio.emit("start", {}, namespace="/exam", callback=True)["ok"]
    db.session.remove()  # (no transaction under way: on PostgreSQL the autocommit connection)

    attempt = db.session.get(Attempt, attempt_id)
    live = answering.Live.of(attempt)
    expected = (
        attempt.status,
        attempt.deadline,
        attempt.live_sid,
        attempt.section_started,
        attempt.seat.sitting.status,
    )
    db.session.remove()
    status = answering.live_status(live)
    hot.done()
    read = (status.status, status.deadline, status.live_sid, status.section_started, status.sitting_status)
    assert read == expected and status.status == "in_progress"
    assert status.deadline.tzinfo is UTC
    sio.disconnect("/exam")


def test_a_time_read_in_another_zone_is_given_as_utc():
    bangkok = timezone(timedelta(hours=7))
    at = datetime(2026, 12, 7, 16, 30, tzinfo=bangkok)
    assert hot.utc(at) == at and hot.utc(at).tzinfo is UTC and hot.utc(at).hour == 9
    naive = datetime(2026, 12, 7, 9, 30, tzinfo=UTC).replace(tzinfo=None)  # (as SQLite keeps it)
    assert hot.utc(naive).tzinfo is UTC
    assert hot.utc(None) is None


def _orm_state(user_id: int, sitting_id: int) -> dict:
    db.session.remove()
    state = joining.page_state(joining.attempt_for_join(user_id, sitting_id), FIXED)
    db.session.remove()
    return state


FIXED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC) + timedelta(days=3650)  # (only the state's "at")


def test_the_join_reads_without_the_orm_what_the_orm_reads(app, make):
    """The join reads its attempt with Core statements into plain objects (joining.attempt_view);
    the page's state built from them is the one built from the ORM's objects, in each state a
    page can join in: waiting, under way with answers and flags and a timed section open,
    paused, and submitted with its result shown."""
    from app.exams import sitting_control, starting, submission

    eh.bank()
    exam = eh.exam(policy="immediate")
    exam.sections = [dict(exam.sections[0], time_limit_minutes=10), exam.sections[1]]
    db.session.commit()
    sitting, hr = eh.sitting(make, exam)
    cand, seat = eh.seated(make, sitting, extra_time_percent=25, large_text=True)
    attempt_id = eh.check_in(cand, seat).id
    user_id, sitting_id, hr_id = cand.id, sitting.id, hr.id
    Sitting = type(sitting)

    def hr_() -> object:
        return db.session.get(type(hr), hr_id)

    def both() -> tuple[dict, dict]:
        expected = _orm_state(user_id, sitting_id)
        view = joining.attempt_view(user_id, sitting_id)
        hot.done()
        return joining.page_state(view, FIXED), expected

    seen = []
    hot_state, orm_state = both()
    assert hot_state == orm_state and hot_state["status"] == "not_started"
    seen.append(hot_state["status"])

    sitting_control.start_sitting(db.session.get(Sitting, sitting_id), hr_())
    starting.begin_if_due(db.session.get(Attempt, attempt_id))
    live = answering.Live.of(db.session.get(Attempt, attempt_id))
    answering.question(live, 0)  # (opens the timed first section)
    answering.record_answer(live, 0, live.form[0]["choice_order"][1], 3)
    answering.record_answer(live, 2, live.form[2]["choice_order"][0], 4)
    answering.set_flag(live, 2, True)
    hot.done()
    db.session.remove()
    hot_state, orm_state = both()
    assert hot_state == orm_state and hot_state["answers"] and hot_state["flags"] == [2]
    assert any(sec["closes_at"] for sec in hot_state["sections"])

    sitting_control.pause_sitting(db.session.get(Sitting, sitting_id), hr_(), reason="power cut")
    hot_state, orm_state = both()
    assert hot_state == orm_state and hot_state["sitting_status"] == "paused"
    sitting_control.resume_sitting(db.session.get(Sitting, sitting_id), hr_(), reason="power back")

    submission.submit(db.session.get(Attempt, attempt_id), by="candidate")
    hot_state, orm_state = both()
    assert hot_state == orm_state and hot_state["result"]["score"] == orm_state["result"]["score"]


def test_a_join_again_reads_all_but_the_form_this_process_read_before(app, make):
    """An attempt's form is fixed at check-in, and it is most of what a join reads: a process
    that read it once keeps it, and the candidate's next join (a reload, a hall back after a
    network blip) reads everything else. A form remembered for another attempt of the same
    candidate and sitting is never taken for this one's."""
    from sqlalchemy import delete, update

    eh.bank()
    sitting, _hr = eh.sitting(make, eh.exam())
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    attempt_id, form = attempt.id, list(attempt.form)
    user_id, sitting_id = cand.id, sitting.id

    def view_form(attempt_id: int) -> list:
        view = joining.attempt_view(user_id, sitting_id)
        hot.done()
        assert view.id == attempt_id
        return list(view.form)

    assert view_form(attempt_id) == form
    # The stored form is not read again: changed behind the process's back, the join still
    # sees the one it read (nothing in the app changes a form; this shows it is not read).
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(form=form[:1]))
    db.session.commit()
    assert view_form(attempt_id) == form
    # Another attempt in the seat (none is ever deleted; a database restored from a backup
    # might hold one): its own form is read, not the one remembered.
    db.session.execute(delete(Attempt).where(Attempt.id == attempt_id))
    db.session.commit()
    other = Attempt(id=attempt_id + 1000, seat_id=seat.id, form_seed=7, form=form[::-1])
    db.session.add(other)
    db.session.commit()
    assert view_form(attempt_id + 1000) == form[::-1]
    assert view_form(attempt_id + 1000) == form[::-1]
    # A database emptied and filled again (the tests' is) gives the same id to another attempt,
    # drawn with another seed: its own form is read.
    db.session.execute(delete(Attempt).where(Attempt.id == attempt_id + 1000))
    db.session.commit()
    db.session.add(Attempt(id=attempt_id + 1000, seat_id=seat.id, form_seed=8, form=form[1:]))
    db.session.commit()
    assert view_form(attempt_id + 1000) == form[1:]


def test_a_process_keeps_a_bounded_number_of_forms(app, make, monkeypatch):
    """The forms kept are bounded (EXAM_FORM_CACHE_SIZE, the oldest read goes first): a form
    no longer kept is read again at the next join."""
    from sqlalchemy import update

    monkeypatch.setitem(app.config, "EXAM_FORM_CACHE_SIZE", 1)
    eh.bank()
    sitting, _hr = eh.sitting(make, eh.exam())
    pairs = [eh.seated(make, sitting) for _ in range(2)]
    attempts = [eh.check_in(cand, seat) for cand, seat in pairs]
    first_user, first_id, first_form = pairs[0][0].id, attempts[0].id, list(attempts[0].form)
    others = [(cand.id, attempt.id) for (cand, _), attempt in zip(pairs[1:], attempts[1:], strict=True)]
    sitting_id = sitting.id

    def view_form(user_id: int) -> list:
        view = joining.attempt_view(user_id, sitting_id)
        hot.done()
        return list(view.form)

    assert view_form(first_user) == first_form
    db.session.execute(update(Attempt).where(Attempt.id == first_id).values(form=first_form[:1]))
    db.session.commit()
    assert view_form(first_user) == first_form  # (kept)
    for user_id, _attempt_id in others:  # another page joins: the first form is let go
        view_form(user_id)
    assert view_form(first_user) == first_form[:1]  # read again


def test_the_forms_of_a_sitting_share_their_entries_in_a_process(app, make):
    """Candidates draw the same items in a few orders: each process keeps one object per
    distinct form entry, not one per candidate (a 120-item form held ~44 KB per connected
    page). What each page's form says is unchanged."""
    from sqlalchemy import update

    eh.bank()
    sitting, _hr = eh.sitting(make, eh.exam())
    pairs = [eh.seated(make, sitting) for _ in range(2)]
    attempts = [eh.check_in(cand, seat) for cand, seat in pairs]
    form = list(attempts[0].form)
    # The second candidate drew the same items in the same orders as the first.
    db.session.execute(update(Attempt).where(Attempt.id == attempts[1].id).values(form=form))
    db.session.commit()
    users, sitting_id = [cand.id for cand, _ in pairs], sitting.id

    views = []
    for user_id in users:
        views.append(joining.attempt_view(user_id, sitting_id))
        hot.done()
    first, second = (view.form for view in views)
    assert list(first) == list(second) == form
    assert all(a is b for a, b in zip(first, second, strict=True))
