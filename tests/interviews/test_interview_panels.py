"""Part C panels (services.py): panels, members and the rubric; conflicts of interest, the
quorum and the chair's substitutes (who may be busy on another panel)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.interviews import calendar, conflicts, rubrics, services
from app.interviews.models import CriterionScore, Interview, InterviewSlot
from tests.factories.interviews import NOW, World, audits

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- panels, members, rubric -------------------------------------------------------------


def test_panel_is_created_by_hr_of_the_round_with_defaults_and_audit(db, make):
    w = World(make, n=0)
    assert (w.panel.quorum, w.panel.aggregate, w.panel.spread_threshold) == (3, "mean", Decimal("15.00"))
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
    rubric = rubrics.use_default_rubric(w.round, w.hr)
    assert [c.code for c in rubric.criteria] == [
        "knowledge",
        "experience",
        "reasoning",
        "communication",
        "ethics",
    ]
    assert all(c.max_points == Decimal("20") and c.title_th and c.descriptors for c in rubric.criteria)
    assert rubric.criteria[0].title_th == "ความรู้ที่ใช้ในการปฏิบัติงาน"
    assert rubrics.rubric_total(rubric) == Decimal("100")
    rubrics.add_criterion(
        w.round,
        w.hr,
        code="leadership",
        title_th="ภาวะผู้นำ",
        max_points="10",
        descriptors=[{"points": 10, "th": "ดีมาก"}],
    )
    with pytest.raises(ValidationFailed):
        rubrics.add_criterion(w.round, w.hr, code="leadership", title_th="ซ้ำ", max_points=5)
    with pytest.raises(ValidationFailed) as err:
        rubrics.add_criterion(
            w.round, w.hr, code="x", title_th="x", max_points=5, descriptors=[{"points": 9, "th": "เกิน"}]
        )
    assert err.value.field == "descriptors"
    rubrics.remove_criterion(w.round, w.hr, rubric.criteria[-1].id)
    assert len(rubrics.rubric_of(w.round).criteria) == 5
    # once a member has scored, the rubric is fixed
    w.slots()
    w.schedule()
    iv = db.session.scalar(select(Interview))
    db.session.add(
        CriterionScore(
            interview_id=iv.id, user_id=w.chair.id, criterion_id=rubric.criteria[0].id, points=Decimal("10")
        )
    )
    db.session.commit()
    assert rubrics.rubric_locked(w.round)
    with pytest.raises(NotAllowed):
        rubrics.use_default_rubric(w.round, w.hr)
    with pytest.raises(NotAllowed):  # nor the way scores combine
        services.update_panel(
            w.panel, w.hr, name="x", quorum=2, aggregate="mean", spread_threshold=15, mode="online"
        )
    assert audits(db, "rubric.set") == 1 and audits(db, "rubric.add_criterion") == 1


# ---- conflicts, quorum, substitutes ------------------------------------------------------


def _one_interview(db, make, **kw):
    w = World(make, n=1, **kw)
    w.slots()
    w.schedule()
    return w, db.session.scalar(select(Interview))


def test_conflict_recuses_member_and_the_chair_names_a_substitute(db, make):
    w, iv = _one_interview(db, make)
    assert conflicts.scoring_members(iv) == w.members and conflicts.quorum_met(iv)
    conflicts.declare_conflict(iv, w.members[1], False)
    with pytest.raises(ValidationFailed) as err:
        conflicts.declare_conflict(iv, w.members[2], True, "")
    assert err.value.field == "note"
    conflicts.declare_conflict(iv, w.members[2], True, "เป็นญาติของผู้สมัคร")
    assert conflicts.scoring_members(iv) == w.members[:2]
    assert not conflicts.quorum_met(iv)
    with pytest.raises(NotAllowed):  # a declared conflict stands
        conflicts.declare_conflict(iv, w.members[2], False)
    conflicts.declare_conflict(iv, w.members[1], True, "เคยเป็นผู้บังคับบัญชา")  # comes to light
    assert conflicts.scoring_members(iv) == [w.chair]
    with pytest.raises(Forbidden):
        conflicts.declare_conflict(iv, make.user(Role.PANEL), False)

    sub = make.user(Role.PANEL)
    with pytest.raises(Forbidden):  # the chair only
        conflicts.name_substitute(iv, w.members[1], sub)
    with pytest.raises(NotAllowed):  # a recused member cannot come back as a substitute
        conflicts.name_substitute(iv, w.chair, w.members[2])
    with pytest.raises(ValidationFailed):
        conflicts.name_substitute(iv, w.chair, make.user(Role.HR_OFFICER, agency=w.agency))
    conflicts.name_substitute(iv, w.chair, sub)
    assert services.panel_role(iv, sub) == "substitute"
    assert conflicts.scoring_members(iv) == [w.chair, sub]
    sub2 = make.user(Role.PANEL)
    conflicts.name_substitute(iv, w.chair, sub2)
    assert conflicts.quorum_met(iv)
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
    other_iv = db.session.scalar(
        select(Interview).join(InterviewSlot).where(InterviewSlot.panel_id == other.id)
    )
    assert other_iv.slot.starts_at == iv.slot.starts_at
    with pytest.raises(NotAllowed) as err:
        conflicts.name_substitute(iv, w.chair, busy)
    assert "another panel" in err.value.message
