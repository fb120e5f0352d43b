"""Part C scheduling: panels, rubrics, conflicts and quorum; slots, automatic placement (unit and
property tests of the pure placement), moves that race on PostgreSQL, invitations (.ics) and
their emails, check-in, and the daily schedule PDF."""
from __future__ import annotations

import shutil
import subprocess
import threading
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import Role
from app.applications.models import AccommodationRequest, Application
from app.audit.models import AuditEntry
from app.common import clock
from app.common.clock import BANGKOK
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.interviews import calendar, scheduling, services
from app.interviews.models import CriterionScore, Interview, InterviewSlot
from app.interviews.schedule_pdf import daily_schedule, daily_schedule_pdf
from app.interviews.scheduling import CandidateSpec, SlotSpec, SlotTaken, place_candidates
from app.notifications.models import OutboxEmail
from app.recruitment.models import Mode, RoundStatus
from app.scores.models import StageScore

from .conftest import IS_POSTGRES

UTC = timezone.utc
# Monday 2 November 2026, 09:00 in Bangkok: "now" for these tests.
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 9)  # a week later


def local(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=BANGKOK).astimezone(UTC)


@pytest.fixture(autouse=True)
def _now():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


# ---- helpers ---------------------------------------------------------------------------

class World:
    """A round of the agency with a panel (chair + 2 members) and approved candidates."""

    def __init__(self, make, n: int = 3, mode: str = Mode.SELECTION, members: int = 3,
                 link: str = "https://meet.example.test/panel-1", scores: bool = True):
        self.make = make
        self.agency = make.agency()
        self.hr = make.hr(self.agency)
        self.round = make.round_(self.agency, mode=mode, status=RoundStatus.IN_PROGRESS)
        self.panel = services.create_panel(self.round, self.hr, name="คณะกรรมการชุดที่ 1",
                                           meeting_link=link)
        self.members = [make.user(Role.PANEL) for _ in range(members)]
        for i, m in enumerate(self.members):
            services.add_member(self.panel, self.hr, m, "chair" if i == 0 else "member")
        self.chair = self.members[0] if self.members else None
        self.apps = [self.applicant(scores=scores) for _ in range(n)]

    def applicant(self, scores: bool = True, passed: bool = True, **acc) -> Application:
        from app.extensions import db
        cand = self.make.candidate()
        self.round.application_seq += 1
        app_ = Application(number=f"{self.round.code}-{self.round.application_seq:05d}",
                           round_id=self.round.id, candidate_id=cand.id, status="approved")
        db.session.add(app_)
        db.session.flush()
        for kind, status in acc.items():
            db.session.add(AccommodationRequest(application_id=app_.id, kind=kind,
                                                status=status, requested_value=50))
        if scores:
            for stage in self.round.stages:
                if stage.kind != "part_c":
                    db.session.add(StageScore(application_id=app_.id, stage_kind=stage.kind,
                                              score=stage.max_score, max_score=stage.max_score,
                                              passed=passed, source="hr_entry"))
        db.session.commit()
        db.session.refresh(app_)
        return app_

    def slots(self, panel=None, day=MONDAY, start=time(9), end=time(12), minutes=30, **kw):
        return scheduling.generate_slots(panel or self.panel, self.hr, day, day, start, end,
                                         slot_minutes=minutes, **kw)

    def schedule(self, **kw):
        return scheduling.auto_schedule(self.round, self.hr, **kw)


def outbox(db, prefix: str = "interview:"):
    return list(db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.dedupe_key.like(prefix + "%")).order_by(OutboxEmail.id)))


def audits(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == action))


def parse_ics(text: str) -> list[tuple[str, dict, str]]:
    """Unfold and split content lines into (name, params, value)."""
    assert "\r\n" in text
    unfolded = text.replace("\r\n ", "").split("\r\n")
    out = []
    for line in filter(None, unfolded):
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        out.append((name, dict(p.split("=", 1) for p in params), value))
    return out


def event_props(text: str) -> dict:
    lines = parse_ics(text)
    start = lines.index(("BEGIN", {}, "VEVENT"))
    return {name: (params, value) for name, params, value in lines[start + 1:]
            if name not in ("END", "ATTENDEE")}


# ---- panels, members, rubric -------------------------------------------------------------

def test_panel_is_created_by_hr_of_the_round_with_defaults_and_audit(db, make):
    w = World(make, n=0)
    assert (w.panel.quorum, w.panel.aggregate, w.panel.spread_threshold) == (3, "mean",
                                                                             Decimal("15.00"))
    assert services.chair_of(w.panel) == w.chair
    assert services.panel_problems(w.panel) == []
    assert audits(db, "panel.create") == 1 and audits(db, "panel.add_member") == 3
    other = make.hr(make.agency())
    with pytest.raises(Forbidden):
        services.create_panel(w.round, other, name="x")
    with pytest.raises(ValidationFailed) as err:
        services.create_panel(w.round, w.hr, name="x", aggregate="mode")
    assert err.value.field == "aggregate"
    with pytest.raises(ValidationFailed) as err:
        services.create_panel(w.round, w.hr, name="x", meeting_link="meet.example")
    assert err.value.field == "meeting_link"


def test_round_without_part_c_has_no_panel(db, make):
    agency = make.agency()
    hr = make.hr(agency)
    r = make.round_(agency)
    for s in list(r.stages):
        if s.kind == "part_c":
            r.stages.remove(s)
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.create_panel(r, hr, name="x")


def test_members_need_the_panel_role_and_one_chair_only(db, make):
    w = World(make, n=1, members=1)
    with pytest.raises(NotAllowed) as err:
        services.add_member(w.panel, w.hr, make.user(Role.PANEL), "chair")
    assert "already has a chair" in err.value.message
    with pytest.raises(ValidationFailed):
        services.add_member(w.panel, w.hr, make.user(Role.HR_OFFICER, agency=w.agency))
    with pytest.raises(NotAllowed):
        services.add_member(w.panel, w.hr, w.chair)
    applicant = w.apps[0].candidate
    applicant.roles.append(type(applicant.roles[0])(role=Role.PANEL))
    db.session.commit()
    with pytest.raises(NotAllowed) as err:
        services.add_member(w.panel, w.hr, applicant)
    assert "applied to this round" in err.value.message
    assert "fewer than its quorum" in " ".join(services.panel_problems(w.panel))


def test_default_rubric_has_five_thai_criteria_of_twenty_and_locks_once_scored(db, make):
    w = World(make, n=1)
    rubric = services.use_default_rubric(w.round, w.hr)
    assert [c.code for c in rubric.criteria] == ["knowledge", "experience", "reasoning",
                                                 "communication", "ethics"]
    assert all(c.max_points == Decimal("20") and c.title_th and c.descriptors
               for c in rubric.criteria)
    assert rubric.criteria[0].title_th == "ความรู้ที่ใช้ในการปฏิบัติงาน"
    assert services.rubric_total(rubric) == Decimal("100")
    services.add_criterion(w.round, w.hr, code="leadership", title_th="ภาวะผู้นำ",
                           max_points="10", descriptors=[{"points": 10, "th": "ดีมาก"}])
    with pytest.raises(ValidationFailed):
        services.add_criterion(w.round, w.hr, code="leadership", title_th="ซ้ำ", max_points=5)
    with pytest.raises(ValidationFailed) as err:
        services.add_criterion(w.round, w.hr, code="x", title_th="x", max_points=5,
                               descriptors=[{"points": 9, "th": "เกิน"}])
    assert err.value.field == "descriptors"
    services.remove_criterion(w.round, w.hr, rubric.criteria[-1].id)
    assert len(services.rubric_of(w.round).criteria) == 5
    # once a member has scored, the rubric is fixed
    w.slots()
    w.schedule()
    iv = db.session.scalar(select(Interview))
    db.session.add(CriterionScore(interview_id=iv.id, user_id=w.chair.id,
                                  criterion_id=rubric.criteria[0].id, points=Decimal("10")))
    db.session.commit()
    assert services.rubric_locked(w.round)
    with pytest.raises(NotAllowed):
        services.use_default_rubric(w.round, w.hr)
    with pytest.raises(NotAllowed):  # nor the way scores combine
        services.update_panel(w.panel, w.hr, name="x", quorum=2, aggregate="mean",
                              spread_threshold=15, mode="online")
    assert audits(db, "rubric.set") == 1 and audits(db, "rubric.add_criterion") == 1


# ---- conflicts, quorum, substitutes ------------------------------------------------------

def _one_interview(db, make, **kw):
    w = World(make, n=1, **kw)
    w.slots()
    w.schedule()
    return w, db.session.scalar(select(Interview))


def test_conflict_recuses_member_and_the_chair_names_a_substitute(db, make):
    w, iv = _one_interview(db, make)
    assert services.scoring_members(iv) == w.members and services.quorum_met(iv)
    services.declare_conflict(iv, w.members[1], False)
    with pytest.raises(ValidationFailed) as err:
        services.declare_conflict(iv, w.members[2], True, "")
    assert err.value.field == "note"
    services.declare_conflict(iv, w.members[2], True, "เป็นญาติของผู้สมัคร")
    assert services.scoring_members(iv) == w.members[:2]
    assert not services.quorum_met(iv)
    with pytest.raises(NotAllowed):  # a declared conflict stands
        services.declare_conflict(iv, w.members[2], False)
    services.declare_conflict(iv, w.members[1], True, "เคยเป็นผู้บังคับบัญชา")  # comes to light
    assert services.scoring_members(iv) == [w.chair]
    with pytest.raises(Forbidden):
        services.declare_conflict(iv, make.user(Role.PANEL), False)

    sub = make.user(Role.PANEL)
    with pytest.raises(Forbidden):  # the chair only
        services.name_substitute(iv, w.members[1], sub)
    with pytest.raises(NotAllowed):  # a recused member cannot come back as a substitute
        services.name_substitute(iv, w.chair, w.members[2])
    with pytest.raises(ValidationFailed):
        services.name_substitute(iv, w.chair, make.user(Role.HR_OFFICER, agency=w.agency))
    services.name_substitute(iv, w.chair, sub)
    assert services.panel_role(iv, sub) == "substitute"
    assert services.scoring_members(iv) == [w.chair, sub]
    sub2 = make.user(Role.PANEL)
    services.name_substitute(iv, w.chair, sub2)
    assert services.quorum_met(iv)
    assert audits(db, "interview.conflict_declare") == 3
    assert audits(db, "interview.substitute") == 2
    # a substitute may get their own invitation
    assert "ATTENDEE" in calendar.member_ics(iv, sub)
    with pytest.raises(Forbidden):
        calendar.member_ics(iv, make.user(Role.PANEL))


def test_substitute_busy_on_another_panel_at_that_time_is_refused(db, make):
    w, iv = _one_interview(db, make)
    busy = make.user(Role.PANEL)
    other = services.create_panel(w.round, w.hr, name="ชุดที่ 2", meeting_link="https://m.test/2")
    for i, u in enumerate([busy, make.user(Role.PANEL), make.user(Role.PANEL)]):
        services.add_member(other, w.hr, u, "chair" if i == 0 else "member")
    w.slots(panel=other)
    w.applicant()
    w.schedule()
    other_iv = db.session.scalar(select(Interview).join(InterviewSlot).where(
        InterviewSlot.panel_id == other.id))
    assert other_iv.slot.starts_at == iv.slot.starts_at
    with pytest.raises(NotAllowed) as err:
        services.name_substitute(iv, w.chair, busy)
    assert "another panel" in err.value.message


# ---- slots ------------------------------------------------------------------------------

def test_slot_times_skip_breaks_weekends_and_fit_the_day():
    times = scheduling.slot_times(date(2026, 11, 13), date(2026, 11, 16), time(9), time(12),
                                  [(time(10), time(10, 15))], 30, range(5))
    days = {a.date() for a, _ in times}
    assert days == {date(2026, 11, 13), date(2026, 11, 16)}  # Friday and Monday
    friday = [(a.time(), b.time()) for a, b in times if a.date() == date(2026, 11, 13)]
    assert friday == [(time(9), time(9, 30)), (time(9, 30), time(10)),
                      (time(10, 15), time(10, 45)), (time(10, 45), time(11, 15)),
                      (time(11, 15), time(11, 45))]


def test_generate_slots_in_bangkok_time_stored_utc_without_overlaps(db, make):
    w = World(make, n=0)
    batch = w.slots(breaks=[(time(10, 30), time(10, 45))], minutes=45)
    starts = [s.starts_at for s in batch.created]
    assert starts[0] == datetime(2026, 11, 9, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok
    assert [s.starts_at.astimezone(BANGKOK).strftime("%H:%M") for s in batch.created] == \
        ["09:00", "09:45", "10:45"]
    assert all(s.mode == "online" and services.slot_link(s) == w.panel.meeting_link
               for s in batch.created)
    assert scheduling.slot_label(batch.created[0], "th") == "9 พฤศจิกายน 2569 09:00–09:45 น."
    assert scheduling.slot_label(batch.created[0], "en") == "9 November 2026, 09:00–09:45"
    again = w.slots(start=time(9), end=time(13), minutes=45)  # only what does not overlap
    assert again.skipped_overlap == 4 and len(again.created) == 1
    with pytest.raises(ValidationFailed):
        w.slots(end=time(10, 30))  # everything overlaps
    with pytest.raises(ValidationFailed) as err:
        w.slots(mode="onsite")
    assert err.value.field == "room"
    room = w.slots(day=MONDAY + timedelta(days=1), mode="onsite", room="ห้อง 301",
                   accessible=True)
    assert services.slot_location(room.created[0]) == "ห้อง 301" and room.created[0].accessible
    with pytest.raises(Forbidden):
        scheduling.generate_slots(w.panel, make.hr(make.agency()), MONDAY, MONDAY, time(9),
                                  time(10))
    past = scheduling.generate_slots(w.panel, w.hr, date(2026, 11, 2), date(2026, 11, 2),
                                     time(8), time(11))
    assert past.skipped_past == 3 and len(past.created) == 3  # 08:00 to 09:00 (now) are gone
    assert audits(db, "interview.slots_generate") == 4


# ---- automatic placement (database) ------------------------------------------------------

def test_auto_schedule_places_passed_candidates_in_number_order(db, make):
    w = World(make, n=3)
    failed = w.applicant(passed=False)
    missing = w.applicant(scores=False)
    w.slots(end=time(10, 30))  # three slots
    report = w.schedule()
    assert [(n, s.starts_at.astimezone(BANGKOK).strftime("%H:%M")) for n, s in report.placed] \
        == [(w.apps[0].number, "09:00"), (w.apps[1].number, "09:30"),
            (w.apps[2].number, "10:00")]
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
        scheduling.auto_schedule(w.round, make.hr(make.agency()))


def test_unavailable_times_and_accommodations_are_respected(db, make):
    w = World(make, n=1)
    reader = w.applicant(screen_reader="approved")
    extra = w.applicant(extra_time="adjusted")
    denied = w.applicant(extra_time="denied")
    w.slots(end=time(11))  # four plain 30-minute slots 09:00-11:00
    w.slots(start=time(13), end=time(13, 45), minutes=45)  # a long slot
    w.slots(start=time(14), end=time(14, 30), accessible=True)  # an accessible slot
    scheduling.declare_unavailable(w.apps[0], w.apps[0].candidate, local(MONDAY, 8),
                                   local(MONDAY, 10), "ติดสอบอีกแห่ง")
    report = w.schedule()
    placed = {n: s.starts_at.astimezone(BANGKOK).strftime("%H:%M") for n, s in report.placed}
    assert placed == {w.apps[0].number: "10:00", reader.number: "14:00",
                      extra.number: "13:00", denied.number: "09:00"}
    assert report.unplaced == []


def test_unplaceable_candidates_get_reasons_in_words(db, make):
    w = World(make, n=0)
    reader = w.applicant(assistant="approved")
    extra = w.applicant(extra_time="approved")
    away = w.applicant()
    w.slots(end=time(10))
    scheduling.declare_unavailable(away, away.candidate, local(MONDAY, 8), local(MONDAY, 18))
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
    assert report.unplaced == [(w.apps[1].number,
                                "In every free slot that fits, a panel member sits on another "
                                "panel.")]


# ---- the pure placement: properties ---------------------------------------------------------

BASE = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)


@st.composite
def scheduling_inputs(draw):
    n_panels = draw(st.integers(1, 4))
    people = list(range(draw(st.integers(1, 8))))
    panels = {p: frozenset(draw(st.lists(st.sampled_from(people), max_size=4)))
              for p in range(n_panels)}
    slots = []
    for i in range(draw(st.integers(0, 14))):
        start = draw(st.integers(0, 20)) * 15
        length = draw(st.sampled_from([15, 30, 45, 60]))
        p = draw(st.sampled_from(sorted(panels)))
        slots.append(SlotSpec(id=i, panel_id=p, starts_at=BASE + timedelta(minutes=start),
                              ends_at=BASE + timedelta(minutes=start + length),
                              member_ids=panels[p], accessible=draw(st.booleans())))
    busy = {}
    for person in people:
        spans = draw(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 4)), max_size=2))
        busy[person] = [(BASE + timedelta(minutes=a * 15), BASE + timedelta(minutes=(a + b) * 15))
                        for a, b in spans]
    candidates = []
    for k in range(draw(st.integers(0, 12))):
        spans = draw(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 8)), max_size=2))
        candidates.append(CandidateSpec(
            key=f"A-{k:03d}", min_minutes=draw(st.sampled_from([0, 0, 0, 45])),
            needs_accessible=draw(st.booleans()) and draw(st.booleans()),
            unavailable=tuple((BASE + timedelta(minutes=a * 15),
                               BASE + timedelta(minutes=(a + b) * 15)) for a, b in spans)))
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
    assert sorted(placed_keys + [k for k, _ in result.unplaced]) == sorted(c.key for c in
                                                                            candidates)
    assert all(reason in (scheduling.NO_FREE_SLOT, scheduling.NO_ACCESSIBLE_SLOT,
                          scheduling.NO_LONG_SLOT, scheduling.UNAVAILABLE,
                          scheduling.MEMBER_BUSY) for _, reason in result.unplaced)
    spec = {c.key: c for c in candidates}
    for key, sid in result.placed:
        s, c = by_id[sid], spec[key]
        assert c.fits(s)  # accommodations met
        assert not any(scheduling.overlaps(s.starts_at, s.ends_at, a, b)
                       for a, b in c.unavailable)
        for m in s.member_ids:  # never over a member's existing bookings
            assert not any(scheduling.overlaps(s.starts_at, s.ends_at, a, b)
                           for a, b in busy.get(m, ()))
    booked = [by_id[sid] for sid in placed_slots]
    for i, a in enumerate(booked):  # no member (nor panel) in two overlapping booked slots
        for b in booked[i + 1:]:
            if scheduling.overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at):
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
        if reason == scheduling.NO_FREE_SLOT:
            # free slots only shrink: none was left for later ones either
            continue
        fitting = [s for s in left if c.fits(s) and not any(
            scheduling.overlaps(s.starts_at, s.ends_at, a, b) for a, b in c.unavailable)]
        if reason in (scheduling.NO_ACCESSIBLE_SLOT, scheduling.NO_LONG_SLOT,
                      scheduling.UNAVAILABLE):
            assert not fitting


def test_plain_candidates_leave_special_slots_for_those_who_need_them():
    plain, long_ = [SlotSpec(1, "p", BASE, BASE + timedelta(minutes=30), frozenset({1})),
                    SlotSpec(2, "p", BASE + timedelta(minutes=30), BASE + timedelta(minutes=75),
                             frozenset({1}))]
    result = place_candidates([CandidateSpec("A-1"), CandidateSpec("A-2", min_minutes=45)],
                              [long_, plain][::-1], {})
    assert result.placed == [("A-1", 1), ("A-2", 2)]
    # unless nothing else fits
    result = place_candidates([CandidateSpec("A-1")], [long_], {})
    assert result.placed == [("A-1", 2)]


# ---- candidates: confirm, move, unavailability, check-in -------------------------------------

def _scheduled(db, make, n=2, **kw):
    w = World(make, n=n, **kw)
    w.slots()
    w.schedule()
    ivs = list(db.session.scalars(select(Interview).order_by(Interview.id)))
    return w, ivs


def test_confirm_only_own_interview(db, make):
    w, (a, b) = _scheduled(db, make)
    with pytest.raises(Forbidden):
        scheduling.confirm_slot(a, b.application.candidate)
    scheduling.confirm_slot(a, a.application.candidate)
    assert a.status == "confirmed" and a.confirmed_at == NOW
    scheduling.confirm_slot(a, a.application.candidate)  # again: no change
    assert audits(db, "interview.confirm") == 1


def test_move_to_a_free_slot_of_the_same_panel_until_the_cut_off(db, make):
    w, (a, b) = _scheduled(db, make)
    free = scheduling.movable_slots(a)
    assert b.slot not in free and a.slot not in free and len(free) == 4
    target = free[-1]
    scheduling.move_to_slot(a, a.application.candidate, target)
    assert (a.slot_id, a.moves, a.status) == (target.id, 1, "confirmed")
    with pytest.raises(SlotTaken):
        scheduling.move_to_slot(a, a.application.candidate, b.slot)
    with pytest.raises(Forbidden):
        scheduling.move_to_slot(b, a.application.candidate, free[0])
    other = services.create_panel(w.round, w.hr, name="อื่น", meeting_link="https://m.test/x")
    elsewhere = w.slots(panel=other).created[0]
    with pytest.raises(NotAllowed):
        scheduling.move_to_slot(a, a.application.candidate, elsewhere)
    # 48 hours before the interview, moves close
    clock.set_now(a.slot.starts_at - timedelta(hours=47))
    assert scheduling.movable_slots(a) == []
    with pytest.raises(NotAllowed) as err:
        scheduling.move_to_slot(a, a.application.candidate, free[0])
    assert "48 hours" in err.value.message
    assert audits(db, "interview.move") == 1


def test_move_cut_off_is_configurable(app, db, make):
    w, (a, b) = _scheduled(db, make)
    clock.set_now(a.slot.starts_at - timedelta(hours=30))
    app.config["INTERVIEW_MOVE_CUTOFF_HOURS"] = 24
    try:
        target = [s for s in scheduling.movable_slots(a)][0]
        scheduling.move_to_slot(a, a.application.candidate, target)
    finally:
        app.config.pop("INTERVIEW_MOVE_CUTOFF_HOURS")
    assert a.slot_id == target.id


def test_moving_respects_accommodations(db, make):
    w = World(make, n=0)
    reader = w.applicant(screen_reader="approved")
    w.slots(accessible=True, end=time(9, 30))
    w.slots(start=time(10), end=time(11))
    w.schedule()
    iv = db.session.scalar(select(Interview))
    assert iv.slot.accessible
    assert scheduling.movable_slots(iv) == []
    plain = db.session.scalar(select(InterviewSlot).where(InterviewSlot.accessible.is_(False)))
    with pytest.raises(NotAllowed) as err:
        scheduling.move_to_slot(iv, reader.candidate, plain)
    assert "accommodations" in err.value.message


def test_unavailability_is_the_candidates_own_and_sensible(db, make):
    w = World(make, n=2)
    a, b = w.apps
    with pytest.raises(Forbidden):
        scheduling.declare_unavailable(a, b.candidate, local(MONDAY, 9), local(MONDAY, 10))
    with pytest.raises(ValidationFailed) as err:
        scheduling.declare_unavailable(a, a.candidate, local(MONDAY, 10), local(MONDAY, 9))
    assert err.value.field == "ends_at"
    with pytest.raises(ValidationFailed):
        scheduling.declare_unavailable(a, a.candidate, NOW - timedelta(days=2),
                                       NOW - timedelta(days=1))
    row = scheduling.declare_unavailable(a, a.candidate, local(MONDAY, 9), local(MONDAY, 10),
                                         "ธุระ")
    assert scheduling.unavailabilities_of(a) == [row]
    scheduling.withdraw_unavailable(row, a.candidate)
    assert scheduling.unavailabilities_of(a) == []
    assert audits(db, "interview.unavailable") == 1
    assert audits(db, "interview.unavailable_withdraw") == 1


def test_check_in_from_thirty_minutes_before_until_the_end(app, db, make):
    received = []

    def listener(sender, interview):
        received.append(interview.id)

    scheduling.candidate_checked_in.connect(listener)
    try:
        w, (a, b) = _scheduled(db, make)
        me = a.application.candidate
        clock.set_now(a.slot.starts_at - timedelta(minutes=31))
        with pytest.raises(NotAllowed):
            scheduling.check_in_for_interview(a, me)
        with pytest.raises(Forbidden):
            scheduling.check_in_for_interview(a, b.application.candidate)
        clock.set_now(a.slot.starts_at - timedelta(minutes=30))
        scheduling.check_in_for_interview(a, me)
        assert (a.status, a.checked_in_at) == ("checked_in", a.slot.starts_at -
                                               timedelta(minutes=30))
        assert scheduling.waiting_candidates(w.panel, MONDAY) == [a]
        assert scheduling.waiting_candidates(w.panel, MONDAY + timedelta(days=1)) == []
        clock.set_now(b.slot.ends_at)
        with pytest.raises(NotAllowed):
            scheduling.check_in_for_interview(b, b.application.candidate)
        assert received == [a.id]
        assert audits(db, "interview.check_in") == 1
    finally:
        scheduling.candidate_checked_in.disconnect(listener)


# ---- invitations -------------------------------------------------------------------------

def test_ics_has_bangkok_time_stable_uid_and_sequence(db, make):
    w, (a, b) = _scheduled(db, make)
    me = a.application.candidate
    text = calendar.candidate_ics(a, me)
    lines = parse_ics(text)
    assert ("METHOD", {}, "REQUEST") in lines
    assert ("TZID", {}, "Asia/Bangkok") in lines  # the VTIMEZONE
    assert ("TZOFFSETTO", {}, "+0700") in lines
    ev = event_props(text)
    assert ev["DTSTART"] == ({"TZID": "Asia/Bangkok"}, "20261109T090000")
    assert ev["DTEND"] == ({"TZID": "Asia/Bangkok"}, "20261109T093000")
    assert ev["UID"][1] == f"interview-{a.id}@recruit.bangkok.go.th"
    assert ev["SEQUENCE"][1] == "0"
    assert ev["LOCATION"][1] == "https://meet.example.test/panel-1"
    assert me.national_id not in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    with pytest.raises(Forbidden):
        calendar.candidate_ics(a, b.application.candidate)
    target = scheduling.movable_slots(a)[0]
    scheduling.move_to_slot(a, me, target)
    moved = event_props(calendar.candidate_ics(a, me))
    assert moved["UID"][1] == ev["UID"][1] and moved["SEQUENCE"][1] == "1"
    assert moved["DTSTART"][1] == target.starts_at.astimezone(BANGKOK).strftime("%Y%m%dT%H%M%S")
    member = event_props(calendar.member_ics(a, w.members[1]))
    assert member["UID"] == ev["UID"] and a.application.number in member["SUMMARY"][1]


def test_fold_never_cuts_a_thai_character():
    line = "SUMMARY:" + "สัมภาษณ์ภาคค" * 20
    parts = calendar.fold(line)
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert calendar.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_emails_are_queued_once_per_change_with_the_invitation(db, make):
    w, (a, b) = _scheduled(db, make)
    mails = outbox(db)
    # two candidates + three members each
    assert len(mails) == 2 * (1 + 3)
    mine = [m for m in mails if m.to_address == a.application.candidate.email]
    assert [m.dedupe_key for m in mine] == [f"interview:{a.id}:v0:candidate"]
    att = mine[0].attachments[0]
    assert att["filename"] == f"interview-{a.id}.ics" and att["mimetype"].startswith(
        "text/calendar")
    import base64
    assert "SEQUENCE:0" in base64.b64decode(att["content_b64"]).decode()
    # scheduling again queues nothing; a move queues the next version once
    w.schedule()
    scheduling.send_invitations(a)  # same version: deduplicated
    assert len(outbox(db)) == 8
    scheduling.move_to_slot(a, a.application.candidate, scheduling.movable_slots(a)[0])
    new = [m for m in outbox(db) if ":v1:" in m.dedupe_key]
    assert len(new) == 4 and {m.dedupe_key for m in new} == {
        f"interview:{a.id}:v1:candidate"} | {f"interview:{a.id}:v1:member:{u.id}"
                                             for u in w.members}
    # emails go out in the recipient's language (Thai by default): "ได้เลื่อน" = "has been moved"
    assert "ได้เลื่อน" in next(m for m in new if m.dedupe_key.endswith("candidate")).body_text


def test_a_failed_move_queues_no_email(db, make):
    w, (a, b) = _scheduled(db, make)
    before = len(outbox(db))
    with pytest.raises(SlotTaken):
        scheduling.move_to_slot(a, a.application.candidate, b.slot)
    assert len(outbox(db)) == before


# ---- concurrency (PostgreSQL) ------------------------------------------------------------

@pytest.mark.skipif(not IS_POSTGRES, reason="the same-instant race needs PostgreSQL's row "
                    "locks and concurrent writers; SQLite serializes every writer")
def test_two_candidates_racing_for_one_slot_exactly_one_wins(app, db, make):
    w, (a, b) = _scheduled(db, make)
    target_id = scheduling.movable_slots(a)[-1].id
    ids = [(a.id, a.application.candidate_id), (b.id, b.application.candidate_id)]
    db.session.remove()  # the threads use their own sessions and connections
    barrier = threading.Barrier(2)
    outcomes = {}

    def race(interview_id, user_id):
        from app.accounts.models import User
        from app.extensions import db as _db
        with app.app_context():
            clock.set_now(NOW)
            iv = _db.session.get(Interview, interview_id)
            user = _db.session.get(User, user_id)
            slot = _db.session.get(InterviewSlot, target_id)
            _ = (iv.slot.starts_at, slot.interview, iv.application.round.stages)  # load first
            barrier.wait()
            try:
                scheduling.move_to_slot(iv, user, slot)
                outcomes[interview_id] = "moved"
            except SlotTaken:
                outcomes[interview_id] = "taken"
            except Exception as exc:  # pragma: no cover - shown in the assertion
                outcomes[interview_id] = repr(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=race, args=args) for args in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["moved", "taken"], outcomes
    holders = db.session.scalars(select(Interview).where(Interview.slot_id == target_id)).all()
    assert len(holders) == 1
    winner = holders[0].id
    assert outcomes[winner] == "moved" and holders[0].moves == 1
    assert audits(db, "interview.move") == 1
    assert len([m for m in outbox(db) if ":v1:" in m.dedupe_key]) == 4


# ---- the daily schedule PDF --------------------------------------------------------------

def test_daily_schedule_pdf_lists_the_panel_day_in_thai(db, make, tmp_path):
    w = World(make, n=2)
    w.applicant(extra_time="approved")
    w.slots(end=time(10, 30))
    w.slots(start=time(13), end=time(13, 45), minutes=45)
    w.schedule()
    data = daily_schedule(w.panel, MONDAY)
    assert [r.application_number for r in data.rows][:2] == [a.number for a in w.apps]
    assert data.rows[2].candidate_name == "(ว่าง)"
    assert data.rows[3].accommodations == "เวลาเพิ่ม"
    assert data.members[0][0] == "ประธานกรรมการ"
    pdf = daily_schedule_pdf(w.panel, MONDAY)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader
    import io
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "2569" in text and w.apps[0].number in text.replace("\n", "")
    if shutil.which("pdftoppm"):  # it renders (the PNG was looked at while writing this)
        (tmp_path / "s.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1",
                        str(tmp_path / "s.pdf"), str(tmp_path / "s")], check=True)
        assert list(tmp_path.glob("s*.png"))
