"""Shared builders of the Part C scheduling tests (test_interview_placement, _booking,
_invitations, _panels, _schedule_pdf): a round with a panel and approved candidates, its slots
and automatic placement, and readers of the outbox, the audit log and .ics text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from app.accounts.models import Role
from app.applications.models import AccommodationRequest, Application
from app.audit.models import AuditEntry
from app.common.clock import BANGKOK
from app.extensions import db
from app.interviews import placement, services
from app.interviews.models import Interview
from app.notifications.models import OutboxEmail
from app.recruitment.models import Mode, RoundStatus
from app.scores.models import StageScore
from tests.factories.applications import application

UTC = UTC
# Monday 2 November 2026, 09:00 in Bangkok: "now" for these tests.
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 9)  # a week later


def local(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=BANGKOK).astimezone(UTC)


def score_stages_before_part_c(app_: Application, passed: bool = True) -> None:
    """Full marks (or a fail) in every stage of the application's round before Part C, as HR
    entered them: what an applicant needs to be placed in an interview."""
    for stage in app_.round.stages:
        if stage.kind != "part_c":
            db.session.add(
                StageScore(
                    application_id=app_.id,
                    stage_kind=stage.kind,
                    score=stage.max_score,
                    max_score=stage.max_score,
                    passed=passed,
                    source="hr_entry",
                )
            )


def scored_applicant(make, round_, passed: bool = True) -> Application:
    """A new candidate's approved application to `round_`, scored in every stage before Part C."""
    app_ = application(round_, make.candidate(), commit=False)
    score_stages_before_part_c(app_, passed)
    db.session.commit()
    return app_


class World:
    """A round of the agency with a panel (chair + 2 members) and approved candidates."""

    def __init__(
        self,
        make,
        n: int = 3,
        mode: str = Mode.SELECTION,
        members: int = 3,
        link: str = "https://meet.example.test/panel-1",
        scores: bool = True,
    ):
        self.make = make
        self.agency = make.agency()
        self.hr = make.hr(self.agency)
        self.round = make.round_(self.agency, mode=mode, status=RoundStatus.IN_PROGRESS)
        self.panel = services.create_panel(self.round, self.hr, name="คณะกรรมการชุดที่ 1", meeting_link=link)
        self.members = [make.user(Role.PANEL) for _ in range(members)]
        for i, m in enumerate(self.members):
            services.add_member(self.panel, self.hr, m, "chair" if i == 0 else "member")
        self.chair = self.members[0] if self.members else None
        self.apps = [self.applicant(scores=scores) for _ in range(n)]

    def applicant(self, scores: bool = True, passed: bool = True, **acc) -> Application:
        app_ = application(self.round, self.make.candidate(), commit=False)
        for kind, status in acc.items():
            db.session.add(
                AccommodationRequest(application_id=app_.id, kind=kind, status=status, requested_value=50)
            )
        if scores:
            score_stages_before_part_c(app_, passed)
        db.session.commit()
        db.session.refresh(app_)
        return app_

    def slots(self, panel=None, day=MONDAY, start=time(9), end=time(12), minutes=30, **kw):
        return placement.generate_slots(
            panel or self.panel, self.hr, day, day, start, end, slot_minutes=minutes, **kw
        )

    def schedule(self, **kw):
        return placement.auto_schedule(self.round, self.hr, **kw)


def outbox(db, prefix: str = "interview:"):
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.dedupe_key.like(prefix + "%")).order_by(OutboxEmail.id)
        )
    )


def audits(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


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
    return {
        name: (params, value) for name, params, value in lines[start + 1 :] if name not in ("END", "ATTENDEE")
    }


def scheduled_interviews(db, make, n=2, **kw):
    """A World whose n candidates are placed in its panel's slots."""
    w = World(make, n=n, **kw)
    w.slots()
    w.schedule()
    ivs = list(db.session.scalars(select(Interview).order_by(Interview.id)))
    return w, ivs
