"""The panel tests' builders: a round with one approved candidate, a two-criterion rubric, a
panel (a chair and members) and the candidate's interview; scoring and submitting as a member;
refusals; and a clock pinned to midday in Bangkok."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.applications.models import Application
from app.common.clock import now
from app.extensions import db as _db
from app.interviews import scoring
from app.interviews.models import Interview, InterviewSlot, Panel, PanelMember, Rubric, RubricCriterion


@dataclass
class Setup:
    agency: object
    hr: object
    round: object
    application: Application
    candidate: object
    criteria: list
    panel: Panel
    chair: object
    members: list
    slot: InterviewSlot
    interview: Interview
    spare: list = field(default_factory=list)  # panel-role users not on the panel

    @property
    def everyone(self):
        return [self.chair, *self.members]

    @property
    def knowledge(self):
        return self.criteria[0]

    @property
    def communication(self):
        return self.criteria[1]


def build(
    make,
    *,
    members: int = 2,
    quorum: int = 3,
    aggregate: str = "mean",
    spread: str = "15",
    starts_in=timedelta(minutes=-5),
    status: str = "checked_in",
    spare: int = 1,
) -> Setup:
    """A round with one approved candidate, a rubric of 30 + 20 points, a panel of a chair and
    `members` members, and the candidate's interview in a slot starting `starts_in` from now."""
    agency = make.agency()
    hr = make.hr(agency)
    round_ = make.round_(agency, status="in_progress")
    cand = make.candidate()
    app_ = Application(
        number=f"{round_.code}-00001", round_id=round_.id, candidate_id=cand.id, status="approved"
    )
    rubric = Rubric(round_id=round_.id)
    rubric.criteria = [
        RubricCriterion(
            seq=1,
            code="knowledge",
            title_th="ความรู้ที่ใช้ในการปฏิบัติงาน",
            title_en="Knowledge for the job",
            max_points=Decimal("30"),
            descriptors=[
                {"points": 30, "th": "ครบถ้วน ถูกต้อง", "en": "Full"},
                {"points": 15, "th": "บางส่วน", "en": "Partial"},
            ],
        ),
        RubricCriterion(
            seq=2,
            code="communication",
            title_th="การสื่อสาร",
            title_en="Communication",
            max_points=Decimal("20"),
            descriptors=[],
        ),
    ]
    panel = Panel(
        round_id=round_.id,
        name="คณะกรรมการสัมภาษณ์ชุดที่ 1",
        quorum=quorum,
        aggregate=aggregate,
        spread_threshold=Decimal(spread),
        meeting_link="https://meet.example.test/panel-1",
    )
    _db.session.add_all([app_, rubric, panel])
    _db.session.flush()
    chair = make.user("panel", first_name_th="สมชาย", last_name_th="ประธานดี")
    people = [
        make.user("panel", first_name_th=f"กรรมการ{n}", last_name_th="ใจซื่อ") for n in range(1, members + 1)
    ]
    panel.members = [PanelMember(user_id=chair.id, role="chair")] + [
        PanelMember(user_id=u.id, role="member") for u in people
    ]
    starts = now() + starts_in
    slot = InterviewSlot(
        panel_id=panel.id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        meeting_link="https://meet.example.test/slot-1",
    )
    _db.session.add(slot)
    _db.session.flush()
    interview = Interview(
        application_id=app_.id,
        slot_id=slot.id,
        status=status,
        checked_in_at=now() if status == "checked_in" else None,
    )
    _db.session.add(interview)
    _db.session.commit()
    return Setup(
        agency,
        hr,
        round_,
        app_,
        cand,
        list(rubric.criteria),
        panel,
        chair,
        people,
        slot,
        interview,
        [make.user("panel") for _ in range(spare)],
    )


def score_and_submit(s: Setup, user, knowledge, communication, seq: int = 1) -> None:
    scoring.declare(s.interview, user, False)
    scoring.record_score(s.interview, user, s.knowledge.id, knowledge, seq)
    scoring.record_score(s.interview, user, s.communication.id, communication, seq + 1)
    scoring.submit_scores(s.interview, user)


def refused(error_class, fn, *args, **kwargs):
    with pytest.raises(error_class) as info:
        fn(*args, **kwargs)
    _db.session.rollback()
    return info.value


def bangkok_midday() -> datetime:
    """Today at 12.00 in Bangkok. The panel's waiting list is per Bangkok day: tests that put an
    interview a few minutes from "now" pin the clock here, so that it is on today's list whenever
    the suite runs (not so at 00.02 in Bangkok for an interview that started five minutes ago)."""
    return datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0)
