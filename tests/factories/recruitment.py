"""Positions and recruitment rounds in one line, with the stages and rules of the round's mode."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.agencies.models import Agency
from app.common.clock import now
from app.extensions import db
from app.recruitment.models import Mode, Position, Round, RoundStage, RoundStatus
from app.recruitment.services import apply_mode_rules, default_stages

_seq = itertools.count(1)


def position(agency: Agency, title_th: str = "วิศวกรโยธา", title_en: str = "Civil Engineer") -> Position:
    p = Position(agency_id=agency.id, title_th=title_th, title_en=title_en, level="ปฏิบัติการ / Operational")
    db.session.add(p)
    db.session.commit()
    return p


def round_(
    agency: Agency, mode: str = Mode.COMPETITIVE_EXAM, status: str = RoundStatus.OPEN, **fields
) -> Round:
    n = next(_seq)
    pos = fields.pop("position", None) or position(agency)
    values = dict(
        code=f"R{n}-2569",
        position_id=pos.id,
        mode=mode,
        title_th=f"รอบทดสอบ {n}",
        title_en=f"Test round {n}",
        opens_at=now() - timedelta(days=1),
        closes_at=now() + timedelta(days=10),
        vacancies=3,
    )
    values.update(fields)
    if mode == Mode.SHORTAGE and not values.get("shortage_degrees"):
        values["shortage_degrees"] = ["แพทยศาสตรบัณฑิต"]
    apply_mode_rules(values)
    r = Round(agency_id=agency.id, status=status, **values)
    for seq, spec in enumerate(default_stages(mode), start=1):
        r.stages.append(RoundStage(seq=seq, **spec.__dict__))
    db.session.add(r)
    db.session.commit()
    return r
