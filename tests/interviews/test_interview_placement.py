"""Building the Part C schedule (placement.py): generating slots, automatic placement in the
database (passed candidates, accommodations, unavailable times, busy members, reasons in
words), and property tests of the pure placement."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts.models import Role
from app.common.clock import BANGKOK
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.interviews import booking, placement, schedule, services
from app.interviews.models import Interview
from app.interviews.placement import CandidateSpec, SlotSpec, place_candidates
from tests.factories.interviews import MONDAY, NOW, UTC, World, audits, local

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- slots ------------------------------------------------------------------------------


def test_slot_times_skip_breaks_weekends_and_fit_the_day():
    times = placement.slot_times(
        date(2026, 11, 13), date(2026, 11, 16), time(9), time(12), [(time(10), time(10, 15))], 30, range(5)
    )
    days = {a.date() for a, _ in times}
    assert days == {date(2026, 11, 13), date(2026, 11, 16)}  # Friday and Monday
    friday = [(a.time(), b.time()) for a, b in times if a.date() == date(2026, 11, 13)]
    assert friday == [
        (time(9), time(9, 30)),
        (time(9, 30), time(10)),
        (time(10, 15), time(10, 45)),
        (time(10, 45), time(11, 15)),
        (time(11, 15), time(11, 45)),
    ]


def test_generate_slots_in_bangkok_time_stored_utc_without_overlaps(db, make):
    w = World(make, n=0)
    batch = w.slots(breaks=[(time(10, 30), time(10, 45))], minutes=45)
    starts = [s.starts_at for s in batch.created]
    assert starts[0] == datetime(2026, 11, 9, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok
    assert [s.starts_at.astimezone(BANGKOK).strftime("%H:%M") for s in batch.created] == [
        "09:00",
        "09:45",
        "10:45",
    ]
    assert all(s.mode == "online" and services.slot_link(s) == w.panel.meeting_link for s in batch.created)
    assert schedule.slot_label(batch.created[0], "th") == "9 พฤศจิกายน 2569 09:00–09:45 น."
    assert schedule.slot_label(batch.created[0], "en") == "9 November 2026, 09:00–09:45"
    again = w.slots(start=time(9), end=time(13), minutes=45)  # only what does not overlap
    assert again.skipped_overlap == 4 and len(again.created) == 1
    with pytest.raises(ValidationFailed):
        w.slots(end=time(10, 30))  # everything overlaps
    with pytest.raises(ValidationFailed) as err:
        w.slots(mode="onsite")
    assert err.value.field == "room"
    room = w.slots(day=MONDAY + timedelta(days=1), mode="onsite", room="ห้อง 301", accessible=True)
    assert services.slot_location(room.created[0]) == "ห้อง 301" and room.created[0].accessible
    with pytest.raises(Forbidden):
        placement.generate_slots(w.panel, make.hr(make.agency()), MONDAY, MONDAY, time(9), time(10))
    past = placement.generate_slots(w.panel, w.hr, date(2026, 11, 2), date(2026, 11, 2), time(8), time(11))
    assert past.skipped_past == 3 and len(past.created) == 3  # 08:00 to 09:00 (now) are gone
    assert audits(db, "interview.slots_generate") == 4


# ---- automatic placement (database) ------------------------------------------------------


def test_auto_schedule_places_passed_candidates_in_number_order(db, make):
    w = World(make, n=3)
    failed = w.applicant(passed=False)
    missing = w.applicant(scores=False)
    w.slots(end=time(10, 30))  # three slots
    report = w.schedule()
    assert [(n, s.starts_at.astimezone(BANGKOK).strftime("%H:%M")) for n, s in report.placed] == [
        (w.apps[0].number, "09:00"),
        (w.apps[1].number, "09:30"),
        (w.apps[2].number, "10:00"),
    ]
    assert report.not_passed == [failed.number, missing.number]
    assert report.unplaced == []
    assert {iv.status for iv in db.session.scalars(select(Interview))} == {"scheduled"}
    # running again changes nothing; a newly passed candidate finds no slot, with the reason
    late = w.applicant()
    again = w.schedule()
    assert again.already == [a.number for a in w.apps] and again.placed == []
    assert again.unplaced == [(late.number, "No free slot is left.")]
    assert audits(db, "interview.schedule") == 3 and audits(db, "interview.auto_schedule") == 2


def test_round_without_earlier_stage_schedules_every_approved_application(db, make):
    w = World(make, n=0)
    for s in list(w.round.stages):
        if s.kind != "part_c":
            w.round.stages.remove(s)
    db.session.commit()
    apps = [w.applicant(scores=False) for _ in range(2)]
    w.slots()
    assert [n for n, _ in w.schedule().placed] == [a.number for a in apps]


def test_auto_schedule_refuses_a_panel_without_chair_and_other_agencies(db, make):
    w = World(make, n=1, members=0)
    w.slots()
    with pytest.raises(NotAllowed) as err:
        w.schedule()
    assert "no chair" in err.value.message
    with pytest.raises(Forbidden):
        placement.auto_schedule(w.round, make.hr(make.agency()))


def test_unavailable_times_and_accommodations_are_respected(db, make):
    w = World(make, n=1)
    reader = w.applicant(screen_reader="approved")
    extra = w.applicant(extra_time="adjusted")
    denied = w.applicant(extra_time="denied")
    w.slots(end=time(11))  # four plain 30-minute slots 09:00-11:00
    w.slots(start=time(13), end=time(13, 45), minutes=45)  # a long slot
    w.slots(start=time(14), end=time(14, 30), accessible=True)  # an accessible slot
    booking.declare_unavailable(
        w.apps[0], w.apps[0].candidate, local(MONDAY, 8), local(MONDAY, 10), "ติดสอบอีกแห่ง"
    )
    report = w.schedule()
    placed = {n: s.starts_at.astimezone(BANGKOK).strftime("%H:%M") for n, s in report.placed}
    assert placed == {
        w.apps[0].number: "10:00",
        reader.number: "14:00",
        extra.number: "13:00",
        denied.number: "09:00",
    }
    assert report.unplaced == []


def test_unplaceable_candidates_get_reasons_in_words(db, make):
    w = World(make, n=0)
    reader = w.applicant(assistant="approved")
    extra = w.applicant(extra_time="approved")
    away = w.applicant()
    w.slots(end=time(10))
    booking.declare_unavailable(away, away.candidate, local(MONDAY, 8), local(MONDAY, 18))
    report = w.schedule()
    reasons = dict(report.unplaced)
    assert "accessible slot" in reasons[reader.number]
    assert "at least 45 minutes" in reasons[extra.number]
    assert "declared unavailable" in reasons[away.number]
    assert report.placed == []


def test_no_member_sits_in_two_panels_at_once(db, make):
    w = World(make, n=2)
    other = services.create_panel(w.round, w.hr, name="ชุดที่ 2", meeting_link="https://m.test/2")
    services.add_member(other, w.hr, w.chair, "chair")  # the same person chairs both
    for _ in range(2):
        services.add_member(other, w.hr, make.user(Role.PANEL))
    w.slots(end=time(9, 30))
    w.slots(panel=other, end=time(9, 30))
    report = w.schedule()
    assert len(report.placed) == 1
    assert report.unplaced == [
        (w.apps[1].number, "In every free slot that fits, a panel member sits on another panel.")
    ]


# ---- the pure placement: properties ---------------------------------------------------------

BASE = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)


@st.composite
def scheduling_inputs(draw):
    n_panels = draw(st.integers(1, 4))
    people = list(range(draw(st.integers(1, 8))))
    panels = {p: frozenset(draw(st.lists(st.sampled_from(people), max_size=4))) for p in range(n_panels)}
    slots = []
    for i in range(draw(st.integers(0, 14))):
        start = draw(st.integers(0, 20)) * 15
        length = draw(st.sampled_from([15, 30, 45, 60]))
        p = draw(st.sampled_from(sorted(panels)))
        slots.append(
            SlotSpec(
                id=i,
                panel_id=p,
                starts_at=BASE + timedelta(minutes=start),
                ends_at=BASE + timedelta(minutes=start + length),
                member_ids=panels[p],
                accessible=draw(st.booleans()),
            )
        )
    busy = {}
    for person in people:
        spans = draw(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 4)), max_size=2))
        busy[person] = [
            (BASE + timedelta(minutes=a * 15), BASE + timedelta(minutes=(a + b) * 15)) for a, b in spans
        ]
    candidates = []
    for k in range(draw(st.integers(0, 12))):
        spans = draw(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 8)), max_size=2))
        candidates.append(
            CandidateSpec(
                key=f"A-{k:03d}",
                min_minutes=draw(st.sampled_from([0, 0, 0, 45])),
                needs_accessible=draw(st.booleans()) and draw(st.booleans()),
                unavailable=tuple(
                    (BASE + timedelta(minutes=a * 15), BASE + timedelta(minutes=(a + b) * 15))
                    for a, b in spans
                ),
            )
        )
    return candidates, slots, busy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheduling_inputs())
def test_placement_never_double_books(inputs):
    candidates, slots, busy = inputs
    result = place_candidates(candidates, slots, busy)
    by_id = {s.id: s for s in slots}
    placed_keys = [k for k, _ in result.placed]
    placed_slots = [sid for _, sid in result.placed]
    # no candidate twice, no slot twice, everyone accounted for, every unplaced has a reason
    assert len(placed_keys) == len(set(placed_keys))
    assert len(placed_slots) == len(set(placed_slots))
    assert sorted(placed_keys + [k for k, _ in result.unplaced]) == sorted(c.key for c in candidates)
    assert all(
        reason
        in (
            placement.NO_FREE_SLOT,
            placement.NO_ACCESSIBLE_SLOT,
            placement.NO_LONG_SLOT,
            placement.UNAVAILABLE,
            placement.MEMBER_BUSY,
        )
        for _, reason in result.unplaced
    )
    spec = {c.key: c for c in candidates}
    for key, sid in result.placed:
        s, c = by_id[sid], spec[key]
        assert c.fits(s)  # accommodations met
        assert not any(placement.overlaps(s.starts_at, s.ends_at, a, b) for a, b in c.unavailable)
        for m in s.member_ids:  # never over a member's existing bookings
            assert not any(placement.overlaps(s.starts_at, s.ends_at, a, b) for a, b in busy.get(m, ()))
    booked = [by_id[sid] for sid in placed_slots]
    for i, a in enumerate(booked):  # no member (nor panel) in two overlapping booked slots
        for b in booked[i + 1 :]:
            if placement.overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at):
                assert not (a.member_ids & b.member_ids)
                assert a.panel_id != b.panel_id


@settings(max_examples=150, deadline=None)
@given(scheduling_inputs())
def test_placement_reasons_are_true(inputs):
    """An unplaced candidate's reason still holds at the end (free slots only shrink): when it
    names their accommodations or unavailable times, no slot left over fits them."""
    candidates, slots, busy = inputs
    result = place_candidates(candidates, slots, busy)
    taken = {sid for _, sid in result.placed}
    for key, reason in result.unplaced:
        c = next(c for c in candidates if c.key == key)
        left = [s for s in slots if s.id not in taken]
        if reason == placement.NO_FREE_SLOT:
            # free slots only shrink: none was left for later ones either
            continue
        fitting = [
            s
            for s in left
            if c.fits(s)
            and not any(placement.overlaps(s.starts_at, s.ends_at, a, b) for a, b in c.unavailable)
        ]
        if reason in (placement.NO_ACCESSIBLE_SLOT, placement.NO_LONG_SLOT, placement.UNAVAILABLE):
            assert not fitting


def test_plain_candidates_leave_special_slots_for_those_who_need_them():
    plain, long_ = [
        SlotSpec(1, "p", BASE, BASE + timedelta(minutes=30), frozenset({1})),
        SlotSpec(2, "p", BASE + timedelta(minutes=30), BASE + timedelta(minutes=75), frozenset({1})),
    ]
    result = place_candidates(
        [CandidateSpec("A-1"), CandidateSpec("A-2", min_minutes=45)], [long_, plain][::-1], {}
    )
    assert result.placed == [("A-1", 1), ("A-2", 2)]
    # unless nothing else fits
    result = place_candidates([CandidateSpec("A-1")], [long_], {})
    assert result.placed == [("A-1", 2)]
