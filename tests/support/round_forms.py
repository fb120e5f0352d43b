"""What HR types into the round form, and small reads the recruitment tests share (a round's stages
and audit trail, an HR officer with a position)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.audit.services import entries_for
from app.recruitment.models import Mode, Position, Round
from app.recruitment.services import default_stages

# 10:00 in Bangkok on 1 June 2026; the factories' windows are relative to it.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def stage_rows(mode: str) -> dict:
    """The stage rows of the round form, filled as the mode's standard stages."""
    data = {}
    for spec in default_stages(mode):
        data.update(
            {
                f"{spec.kind}-included": "y",
                f"{spec.kind}-max_score": str(spec.max_score),
                f"{spec.kind}-weight": "1",
                f"{spec.kind}-pass_percent": "60",
            }
        )
        if spec.counts_for_ranking:
            data[f"{spec.kind}-counts_for_ranking"] = "y"
    return data


def round_form(position: Position, mode: str = Mode.COMPETITIVE_EXAM, **fields) -> dict:
    """What HR types into the round form (Bangkok local times)."""
    data = {
        "code": f"NEW-{mode[:6].upper()}",
        "position_id": str(position.id),
        "mode": mode,
        "title_th": "ประกาศรับสมัครทดสอบ",
        "title_en": "Test announcement",
        "description_th": "รายละเอียด",
        "description_en": "Details",
        "opens_at": "2026-06-10T09:00",
        "closes_at": "2026-06-30T16:30",
        "vacancies": "5",
        "quota_percent": "4",
        "eligible_headcount": "",
        "min_education_level": "bachelor",
        "fields_of_study": "",
        "min_gpa": "",
        "min_age": "18",
        "max_age": "35",
        "min_service_years": "",
        "shortage_degrees": "",
    }
    data.update(stage_rows(fields.pop("stages_mode", mode)))
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def audit_actions(round_id: int) -> list[str]:
    return [e.action for e in entries_for("rounds", round_id)]


def stages_of(round_: Round) -> list[tuple]:
    return [(s.kind, s.max_score, s.counts_for_ranking, s.pass_percent) for s in round_.stages]


def hr_setup(make):
    agency = make.agency()
    hr = make.hr(agency)
    return agency, hr, make.position(agency)
