"""Merit lists and the rounds behind them: scored rounds, the HR pair or trio that prepares and
approves, a Scene of one agency's scored round, and a published list built directly with the models."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select, text

from app.accounts.models import Role, User, UserRole
from app.applications.models import Application, ApplicationStatus
from app.common import clock
from app.common import national_id as nid
from app.common.clock import now, today_bangkok
from app.extensions import db as _db
from app.merit import generation, workflow
from app.merit.models import ListKind, ListStatus, MeritEntry, MeritList
from app.recruitment.models import Mode, RoundStatus
from app.scores import recording
from app.scores.models import ScoreSource, StageScore
from tests.factories.applications import application, round_with_applicants

PUBLISHED_AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 1 ธันวาคม 2569, 10.00 Bangkok
WINDOW = (datetime(2026, 10, 1, 2, 0, tzinfo=UTC), datetime(2026, 10, 31, 9, 0, tzinfo=UTC))
FIRST_NAMES = ["สมชาย", "น้ำฝน", "ปิยะพงษ์", "กัญญ์ณัฏฐ์", "ศุภฤกษ์", "อัญชลี", "ธีรวัฒน์", "ฐิติมา"]
LAST_NAMES = ["ใจดี", "ศรีสุข", "วงศ์ใหญ่", "ประเสริฐวงศ์ศักดิ์", "ทองคำ", "แก้วมณี", "บุญมา"]


def published_list(
    make,
    agency=None,
    size: int = 5,
    *,
    candidates=None,
    status: str = ListStatus.PUBLISHED,
    kind: str = ListKind.MERIT,
    valid_days: int = 730,
    position=None,
) -> MeritList:
    """A published merit list of `size` entries ranked 1..size (built directly with the
    models, as H-LIST's publishing would leave it)."""
    agency = agency or make.agency()
    fields = {"position": position} if position is not None else {}
    round_ = make.round_(agency, status=RoundStatus.COMPLETED, **fields)
    preparer, approver = make.hr(agency), make.hr(agency, approver=True)
    ml = MeritList(
        round_id=round_.id,
        kind=kind,
        track="general",
        version=1,
        status=ListStatus.DRAFT,
        title_th=f"บัญชีผู้สอบแข่งขันได้ {round_.code}",
        title_en=f"Merit list {round_.code}",
        ranking_parts=["part_b", "part_c"],
        tie_break=["total", "part_b", "application_number"],
        prepared_by_id=preparer.id,
    )
    _db.session.add(ml)
    _db.session.flush()
    people = list(candidates or [])
    while len(people) < size:
        people.append(make.candidate())
    for rank, person in enumerate(people[:size], start=1):
        app_ = application(round_, person, commit=False)  # numbered <code>-00001 in rank order
        _db.session.add(
            MeritEntry(
                list_id=ml.id,
                rank=rank,
                application_id=app_.id,
                candidate_id=person.id,
                total=Decimal(300 - rank),
                scores={"part_b": str(200 - rank), "part_c": "100.00"},
                decided_by="total",
            )
        )
    _db.session.commit()
    _db.session.refresh(ml)
    code = round_.code
    # Then the workflow's end state (a published list's content is frozen from here on).
    ml.status, ml.approved_by_id, ml.approved_at = status, approver.id, now()
    if status in (ListStatus.PUBLISHED, ListStatus.SUPERSEDED, ListStatus.CANCELLED):
        ml.published_by_id, ml.published_at = approver.id, now()
        ml.valid_until = today_bangkok() + timedelta(days=valid_days)
        ml.digest = hashlib.sha256(f"{code}:{kind}".encode()).hexdigest()
    if status == ListStatus.CANCELLED:
        ml.cancelled_at, ml.cancel_reason = now(), "ทดสอบ"
    _db.session.commit()
    return ml


def owner_hr(make, ml: MeritList):
    return make.hr(ml.round.agency)


def scored_round(db, make, spec, mode=Mode.COMPETITIVE_EXAM, agency=None):
    """A round whose approved applicants have the given (Part A, Part B, Part C) scores
    (None: no score at that stage)."""
    agency, round_, apps = round_with_applicants(db, make, n=len(spec), mode=mode, agency=agency)
    kinds = [s.kind for s in round_.stages]
    for app_, values in zip(apps, spec):
        for kind, value in zip(kinds, values):
            if value is not None:
                recording.record_stage_score(app_, kind, value, source="hr_entry")
    return agency, round_, apps


def team(make, agency):
    """The preparer (HR officer) and two HR approvers of the agency."""
    return make.hr(agency), make.hr(agency, approver=True), make.hr(agency, approver=True)


class Scene:
    """One agency's round with scored candidates, its HR pair, and the lists made from it."""

    def __init__(self, make, n: int, mode: str = Mode.COMPETITIVE_EXAM):
        self.agency = make.agency(name_th="สำนักงานเขตบางรัก")
        self.preparer = make.hr(self.agency)
        self.approver = make.hr(self.agency, approver=True)
        position = make.position(
            self.agency, title_th="นักวิชาการคอมพิวเตอร์", title_en="Computer Technical Officer"
        )
        # Applications closed before the lists are made (the lists' gates wait for it).
        self.round = make.round_(
            self.agency,
            mode=mode,
            position=position,
            status=RoundStatus.IN_PROGRESS,
            opens_at=WINDOW[0],
            closes_at=WINDOW[1],
            title_th="การสอบแข่งขันเพื่อบรรจุบุคคลเข้ารับราชการ ครั้งที่ 1/2569",
        )
        self.national_ids = add_scored_candidates(self.round, n)

    def publish(self, kind: str = ListKind.MERIT, at: datetime = PUBLISHED_AT) -> MeritList:
        draft = generation.generate_list(self.round, self.preparer, kind=kind)
        return self.approve_and_publish(draft, at)

    def approve_and_publish(self, draft: MeritList, at: datetime = PUBLISHED_AT) -> MeritList:
        workflow.approve(draft, self.approver, changes_seen=True)
        with clock.frozen_at(at):
            return workflow.publish(draft, self.approver)

    def numbers_in_rank_order(self, merit_list: MeritList) -> list[str]:
        return list(
            _db.session.scalars(
                select(Application.number)
                .join(MeritEntry, MeritEntry.application_id == Application.id)
                .where(MeritEntry.list_id == merit_list.id)
                .order_by(MeritEntry.rank)
            )
        )


def add_scored_candidates(round_, n: int) -> list[str]:
    """`n` approved applicants with a passing score in every stage, inserted in bulk; scores
    repeat so that ties are broken by Part B and by application number. Returns their IDs."""
    first_user = (_db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0) + 1
    ids = [nid.complete(f"3{round_.id:03d}{i:08d}") for i in range(n)]
    _db.session.execute(
        insert(User),
        [
            dict(
                id=first_user + i,
                email=f"c{round_.id}-{i}@example.test",
                password_hash="x",
                national_id=ids[i],
                first_name_th=FIRST_NAMES[i % len(FIRST_NAMES)],
                last_name_th=LAST_NAMES[i % len(LAST_NAMES)] + ("" if i < 7 else str(i)),
                first_name_en="Cand",
                last_name_en=f"Idate{i}",
                active=True,
                locale="th",
                session_token=f"t{i}",
                email_verified_at=clock.now(),
                created_at=clock.now(),
            )
            for i in range(n)
        ],
    )
    _db.session.execute(
        insert(UserRole),
        [dict(user_id=first_user + i, role=Role.CANDIDATE, granted_at=clock.now()) for i in range(n)],
    )
    first_app = (_db.session.scalar(select(Application.id).order_by(Application.id.desc()).limit(1)) or 0) + 1
    _db.session.execute(
        insert(Application),
        [
            dict(
                id=first_app + i,
                number=f"{round_.code}-{i + 1:05d}",
                round_id=round_.id,
                candidate_id=first_user + i,
                status=ApplicationStatus.APPROVED,
                qualifications={},
                eligibility=[],
                submitted_at=clock.now(),
            )
            for i in range(n)
        ],
    )
    scores = []
    for i in range(n):
        # Four candidates in a row share a total (Part B decides between them); every 40th
        # repeats someone's scores exactly (the application number decides).
        a, b = i % 4, (i // 4) % 10
        value = {
            "part_a": 150,
            "part_b": 110 + 10 * a + b,
            "part_c": 80 - 10 * a + b,
            "qualifications": 70 + b,
        }
        scores.extend(
            dict(
                application_id=first_app + i,
                stage_kind=stage.kind,
                score=Decimal(value[stage.kind]),
                max_score=stage.max_score,
                passed=True,
                source=ScoreSource.HR_ENTRY,
                entered_at=clock.now(),
            )
            for stage in round_.stages
        )
    _db.session.execute(insert(StageScore), scores)
    if _db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("users", "applications"):
            _db.session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    _db.session.commit()
    return ids
