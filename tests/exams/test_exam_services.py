"""The rules of the online test as plain functions: forms, timing, answers, scoring."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from app.audit.services import entries_for
from app.common.clock import frozen_at, now
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.exams import answering, checkin, joining, sitting_control, starting, submission, timing
from app.exams.assembly import assemble_form
from app.exams.errors import (
    AlreadySubmitted,
    BadAnswer,
    CheckInRefused,
    NotStarted,
    Paused,
    SectionClosed,
    SectionNotOpen,
    TimeUp,
)
from app.exams.models import ExamItem, ItemVersion
from tests.factories import exams as eh


@pytest.fixture
def exam(db):
    eh.bank()
    return eh.exam()


def test_every_form_draws_the_same_count_per_section_and_band(exam, db):
    bands = {v.id: (v.item.section, v.item.difficulty) for v in db.session.query(ItemVersion)}
    forms = [assemble_form(exam, seed) for seed in range(20)]
    for form in forms:
        assert Counter(bands[q["version_id"]] for q in form) == Counter(
            {(s, b): 1 for s in ("num", "law") for b in ("easy", "medium", "hard")}
        )
        assert [q["section"] for q in form] == ["num"] * 3 + ["law"] * 3  # sections stay in order
    # shuffled: not every form is the same, and choices are shuffled too
    assert len({tuple(q["version_id"] for q in f) for f in forms}) > 1
    assert any(q["choice_order"] != list("abcd") for f in forms for q in f)


def test_the_same_seed_rebuilds_the_same_form(exam):
    assert assemble_form(exam, 1234) == assemble_form(exam, 1234)


def test_fixed_order_choices_are_not_shuffled(exam, db):
    for v in db.session.query(ItemVersion):
        v.fixed_order = True
    db.session.commit()
    for seed in range(5):
        assert all(q["choice_order"] == list("abcd") for q in assemble_form(exam, seed))


def test_a_bank_too_small_for_the_blueprint_is_refused(db):
    eh.bank(per_band=1)
    e = eh.exam(draw={"easy": 2})
    with pytest.raises(ValidationFailed, match="needs 2"):
        assemble_form(e, 1)


def test_check_in_confirms_identity_and_rules(exam, make):
    s, _hr = eh.sitting(make, exam)
    cand, seat = eh.seated(make, s)
    with pytest.raises(CheckInRefused, match="do not match"):
        checkin.check_in(seat, cand, national_id_last4="0000", birth_date=cand.birth_date, accept_rules=True)
    with pytest.raises(CheckInRefused, match="accept the exam rules"):
        checkin.check_in(
            seat,
            cand,
            national_id_last4=cand.national_id[-4:],
            birth_date=cand.birth_date,
            accept_rules=False,
        )
    other = make.candidate()
    with pytest.raises(Forbidden):
        eh.check_in(other, seat)
    attempt = eh.check_in(cand, seat)
    assert attempt.status == "not_started" and len(attempt.form) == 6
    assert eh.check_in(cand, seat).id == attempt.id  # checking in again keeps the same form
    actions = [e.action for e in entries_for("seats", seat.id)]
    assert "seat.checkin_failed" in actions and "seat.checkin" in actions


def test_check_in_opens_a_set_time_before_the_start(exam, make):
    s, _hr = eh.sitting(make, exam, starts_in=timedelta(hours=3), checkin_opens_minutes=60)
    cand, seat = eh.seated(make, s)
    with pytest.raises(CheckInRefused, match="Check-in opens"):
        eh.check_in(cand, seat)
    with frozen_at(s.starts_at - timedelta(minutes=59)):
        assert eh.check_in(cand, seat)


def test_synchronized_start_late_entry_gets_no_extra_time(exam, make):
    s, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=5), late_entry_minutes=15)
    cand, seat = eh.seated(make, s)
    late, late_seat = eh.seated(make, s)
    attempt = eh.check_in(cand, seat)
    starting.begin_if_due(attempt)
    assert attempt.status == "not_started"  # the proctor has not started the sitting
    t0 = now()
    sitting_control.start_sitting(s, hr, at=t0)
    starting.begin_if_due(attempt, at=t0)
    assert attempt.status == "in_progress" and attempt.deadline == t0 + timedelta(minutes=30)
    with frozen_at(t0 + timedelta(minutes=10)):
        late_attempt = eh.check_in(late, late_seat)
        starting.begin_if_due(late_attempt)
        assert late_attempt.deadline == attempt.deadline  # no extra time for arriving late
    too_late, too_late_seat = eh.seated(make, s)
    with frozen_at(t0 + timedelta(minutes=16)), pytest.raises(CheckInRefused, match="closed"):
        eh.check_in(too_late, too_late_seat)


def test_window_mode_gives_each_candidate_the_full_duration_plus_extra_time(exam, make):
    s, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-1))
    cand, seat = eh.seated(make, s, extra_time_percent=50)
    attempt = eh.check_in(cand, seat)
    t = now() + timedelta(minutes=20)
    starting.begin_if_due(attempt, at=t)
    assert attempt.deadline == t + timedelta(minutes=45)
    assert timing.remaining_seconds(attempt, t + timedelta(minutes=5)) == 40 * 60


def _running(make, exam, **seat_kw):
    s, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand, seat = eh.seated(make, s, **seat_kw)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(s, hr)
    starting.begin_if_due(attempt)
    return s, hr, cand, attempt


def test_answers_are_idempotent_and_newest_seq_wins(exam, make):
    _s, _hr, _c, attempt = _running(make, exam)
    first = attempt.form[0]["choice_order"][0]
    second = attempt.form[0]["choice_order"][1]
    assert answering.record_answer(attempt, 0, first, 1)["choice"] == first
    again = answering.record_answer(attempt, 0, first, 1)  # a re-send: acknowledged, stored once
    assert again["ok"] and again["seq"] == 1 and not again["stale"]
    assert answering.record_answer(attempt, 0, second, 3)["choice"] == second
    stale = answering.record_answer(attempt, 0, first, 2)  # arrives late: the newer answer stays
    assert stale["ok"] and stale["stale"] and stale["choice"] == second and stale["seq"] == 3
    assert len(attempt.answers) == 1
    cleared = answering.record_answer(attempt, 0, None, 4)
    assert cleared["choice"] is None


def test_bad_answers_are_refused_with_a_reason(exam, make):
    _s, _hr, _c, attempt = _running(make, exam)
    with pytest.raises(BadAnswer):
        answering.record_answer(attempt, 99, "a", 1)
    with pytest.raises(BadAnswer):
        answering.record_answer(attempt, 0, "z", 1)
    # The rule (docs/realtime.md): a payload of the wrong shape or range is validation_failed,
    # one that does not fit this attempt's form or stored answers is bad_answer.
    for seq in (0, 2**53, True):
        with pytest.raises(ValidationFailed):
            answering.record_answer(attempt, 0, "a", seq)
    assert answering.record_answer(attempt, 0, "a", 2**53 - 1)["seq"] == 2**53 - 1
    with pytest.raises(BadAnswer):  # the same seq with another choice: refused, not "stored"
        answering.record_answer(attempt, 0, "b", 2**53 - 1)
    assert answering.record_answer(attempt, 0, "a", 2**53 - 1)["stale"] is False


def test_no_question_or_answer_before_the_start_or_after_the_deadline(exam, make):
    s, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand, seat = eh.seated(make, s)
    attempt = eh.check_in(cand, seat)
    with pytest.raises(NotStarted):
        answering.question(attempt, 0)
    sitting_control.start_sitting(s, hr)
    starting.begin_if_due(attempt)
    q = answering.question(attempt, 0)
    assert "key" not in q and len(q["choices"]) == 4 and q["choices"][0]["label"] == "ก"
    assert answering.question(attempt, 0, locale="en")["choices"][0]["label"] == "A"
    with frozen_at(attempt.deadline + timedelta(seconds=1)):
        with pytest.raises(TimeUp):
            answering.record_answer(attempt, 0, "a", 1)
        with pytest.raises(TimeUp):
            answering.question(attempt, 0)


def test_pause_stops_the_clock_and_resume_gives_the_time_back(exam, make):
    s, hr, _c, attempt = _running(make, exam)
    deadline = attempt.deadline
    t = now()
    with frozen_at(t):
        sitting_control.pause_sitting(s, hr, "fire alarm")
    with frozen_at(t + timedelta(minutes=3)):
        with pytest.raises(Paused):
            answering.record_answer(attempt, 0, "a", 1)
        assert joining.attempt_state(attempt)["remaining_seconds"] == int((deadline - t).total_seconds())
        assert sitting_control.resume_sitting(s, hr) == 180
    assert attempt.deadline == deadline + timedelta(minutes=3)


def test_time_extension_for_one_candidate_is_audited(exam, make):
    _s, hr, _c, attempt = _running(make, exam)
    deadline = attempt.deadline
    with pytest.raises(ValidationFailed):
        sitting_control.extend_time(hr, [attempt], 300, "")
    sitting_control.extend_time(hr, [attempt], 300, "power cut in room 101")
    assert attempt.deadline == deadline + timedelta(minutes=5)
    entry = entries_for("attempts", attempt.id)[-1]
    assert entry.action == "attempt.extend" and entry.after["reason"] == "power cut in room 101"


def test_scoring_and_pass_mark(exam, make):
    _s, _hr, _c, attempt = _running(make, exam)
    for i in range(4):  # 4 of 6 right = 66.7% >= 60%
        answering.record_answer(attempt, i, "b", 1)
    answering.record_answer(attempt, 4, "a", 1)
    submission.submit(attempt, "candidate")
    assert attempt.status == "submitted" and attempt.score == 4 and attempt.max_score == 6
    assert attempt.passed is True
    assert attempt.section_scores["num"]["correct"] == 3
    with pytest.raises(AlreadySubmitted):
        answering.record_answer(attempt, 5, "b", 1)
    assert submission.submit(attempt, "candidate").score == 4  # idempotent


def test_failing_below_the_pass_mark(exam, make):
    _s, _hr, _c, attempt = _running(make, exam)
    for i in range(3):  # 3 of 6 = 50%
        answering.record_answer(attempt, i, "b", 1)
    submission.submit(attempt, "candidate")
    assert attempt.passed is False


def test_deadline_sweep_submits_attempts_nobody_is_connected_to(exam, make):
    _s, _hr, _c, attempt = _running(make, exam)
    answering.record_answer(attempt, 0, "b", 1)
    assert submission.submit_due() == []
    later = attempt.deadline + timedelta(seconds=2)
    assert submission.submit_due(at=later) == [attempt.id]
    assert attempt.status == "submitted" and attempt.submitted_by == "deadline"
    assert attempt.submitted_at == attempt.deadline  # finished when time ran out
    assert submission.submit_due(at=later) == []


def test_a_used_version_keeps_its_key_after_the_item_changes(exam, make, db):
    _s, _hr, _c, attempt = _running(make, exam)
    for i in range(6):
        answering.record_answer(attempt, i, "b", 1)
    # the bank is edited afterwards: a new version with another key
    for item in db.session.query(ExamItem):
        old = item.current_version
        item.versions.append(
            ItemVersion(
                version=2,
                stem_th=old.stem_th,
                choices=old.choices,
                key="c",
                content_hash="x" + old.content_hash[1:],
            )
        )
    db.session.commit()
    submission.submit(attempt, "candidate")
    assert attempt.score == 6  # scored against the versions the candidate saw


def test_a_section_with_its_own_limit_closes_that_long_after_it_is_first_opened(db, make):
    eh.bank()
    e = eh.exam(duration=60)
    e.sections = [dict(e.sections[0], time_limit_minutes=10), e.sections[1]]
    db.session.commit()
    _s, _hr, _c, attempt = _running(make, e, extra_time_percent=50)
    t = now()
    with frozen_at(t):
        answering.question(attempt, 0)  # opens section "num": 10 min + 50% = 15 min
    closes = answering.section_closes_at(attempt, "num")
    assert closes == t + timedelta(minutes=15)
    with frozen_at(t + timedelta(minutes=14)):
        assert answering.record_answer(attempt, 1, "b", 1)["ok"]
    with frozen_at(t + timedelta(minutes=15)):
        with pytest.raises(SectionClosed):
            answering.record_answer(attempt, 1, "a", 2)
        with pytest.raises(SectionClosed):
            answering.question(attempt, 2)
        assert answering.record_answer(attempt, 3, "b", 1)["ok"]  # "law" has no own limit
        state = joining.attempt_state(attempt)
    assert state["sections"][0]["closes_at"] == closes.isoformat()
    assert state["sections"][1]["closes_at"] is None


def test_a_question_asked_ahead_never_starts_a_timed_sections_clock(db, make):
    """The page asks for the neighbours of the question on screen ahead of time. On the last
    question of one section, its next neighbour is the first of the next: if that section has
    a limit of its own, asking ahead must not start its clock (the candidate would lose the
    time spent finishing the section before). Going to it does."""
    eh.bank()
    e = eh.exam(duration=60)
    e.sections = [e.sections[0], dict(e.sections[1], time_limit_minutes=10)]
    db.session.commit()
    _s, _hr, _c, attempt = _running(make, e)
    first_law = next(i for i, q in enumerate(attempt.form) if q["section"] == "law")
    t = now()
    with frozen_at(t):
        assert answering.question(attempt, first_law - 1, prefetch=True)["section"] == "num"  # (no limit)
        with pytest.raises(SectionNotOpen) as refused:
            answering.question(attempt, first_law, prefetch=True)
        assert refused.value.code == "section_not_open"
    db.session.refresh(attempt)
    assert attempt.section_started == {} and answering.section_closes_at(attempt, "law") is None
    with frozen_at(t + timedelta(minutes=5)):
        assert answering.question(attempt, first_law)["section"] == "law"  # the candidate goes to it
        assert answering.question(attempt, first_law + 1, prefetch=True)["section"] == "law"  # open now
    db.session.refresh(attempt)
    assert answering.section_closes_at(attempt, "law") == t + timedelta(minutes=15)


def test_results_after_publication_appear_only_when_hr_publishes(db, make):
    from app.exams.certificates import certificate_of

    eh.bank()
    e = eh.exam(policy="after_publication")
    s, hr, _c, attempt = _running(make, e)
    for i in range(6):
        answering.record_answer(attempt, i, "b", 1)
    submission.submit(attempt, "candidate")
    assert attempt.passed and not submission.results_visible(attempt)
    assert certificate_of(attempt) is None  # a certificate would reveal the result early
    submission.publish_results(s, hr)
    assert submission.results_visible(attempt)
    assert [x.action for x in entries_for("sittings", s.id)][-1] == "sitting.publish_results"
    with pytest.raises(NotAllowed):
        submission.publish_results(s, hr)


def test_an_immediate_part_a_pass_gets_its_certificate_at_submission(exam, make):
    from app.exams.certificates import certificate_of, verify

    _s, _hr, _c, attempt = _running(make, exam)
    for i in range(6):
        answering.record_answer(attempt, i, "b", 1)
    submission.submit(attempt, "candidate")
    cert = certificate_of(attempt)
    assert cert is not None and verify(cert.code).status == "valid"
