"""Selection rounds opened under an agreement: one of its positions, its stages, a window inside
its validity."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..common.clock import BANGKOK
from ..common.errors import NotAllowed, ValidationFailed
from ..common.thai import format_date
from ..extensions import db
from ..recruitment import services as recruitment
from ..recruitment.models import Round, StageKind
from .agreements import DEFAULT_AGREEMENT_STAGES, fiscal_year, need_hr_of_agency
from .models import Agreement, AgreementRound, AgreementStatus

STAGE_MAX_SCORE = {
    StageKind.PART_A: 200,
    StageKind.PART_B: 200,
    StageKind.PART_C: 100,
    StageKind.QUALIFICATIONS: 100,
}


def _bangkok_day(value: datetime) -> date:
    return value.astimezone(BANGKOK).date() if value.tzinfo else value.date()


def open_round(
    agreement: Agreement,
    actor,
    draft: recruitment.ChannelRound,
    *,
    description_th: str = "",
    description_en: str = "",
) -> Round:
    """A draft selection round under the agreement (HR opens it with the round's own pages):
    one of its positions, its qualifications and stages, a window inside its validity, no more
    vacancies than its places a year."""
    need_hr_of_agency(actor, agreement.agency_id)
    if agreement.status != AgreementStatus.ACTIVE:
        raise NotAllowed(_("This agreement has ended: no round can be opened under it."))
    opens_at, closes_at, vacancies = draft.opens_at, draft.closes_at, draft.vacancies
    if draft.position_id not in {p.id for p in agreement.positions}:
        raise ValidationFailed(_("The agreement does not cover this position."), "position_id")
    if not isinstance(opens_at, datetime) or not isinstance(closes_at, datetime):
        raise ValidationFailed(_("The application window needs a start and an end."), "opens_at")
    first, last = _bangkok_day(opens_at), _bangkok_day(closes_at)
    if first < agreement.valid_from or last > agreement.valid_until:
        raise ValidationFailed(
            _(
                "The application window must lie within the agreement's validity (%(start)s to %(end)s).",
                start=format_date(agreement.valid_from),
                end=format_date(agreement.valid_until),
            ),
            "opens_at",
        )
    if not isinstance(vacancies, int) or not 1 <= vacancies <= agreement.places_per_year:
        raise ValidationFailed(
            _(
                "Vacancies must be between 1 and the agreement's %(n)s places a year.",
                n=agreement.places_per_year,
            ),
            "vacancies",
        )
    stages = [
        recruitment.StageSpec(
            kind, Decimal(STAGE_MAX_SCORE[kind]), counts_for_ranking=kind != StageKind.PART_A
        )
        for kind in agreement.stages or DEFAULT_AGREEMENT_STAGES
    ]
    org = agreement.organisation
    values = dict(
        description_th=(description_th or "").strip()
        or (
            f"คัดเลือกตามบันทึกข้อตกลงความร่วมมือเลขที่ {agreement.number} กับ{org.name_th} "
            f"เฉพาะผู้ที่ได้รับการเสนอชื่อจากหน่วยงานคู่สัญญาและยืนยันการเสนอชื่อแล้ว\n"
            f"คุณสมบัติ: {agreement.qualifications_th}"
        ),
        description_en=(description_en or "").strip()
        or (
            f"Selection under agreement (MOU) no. {agreement.number} with "
            f"{org.name_en or org.name_th}, open only to people nominated by the partner who "
            f"have accepted their nomination.\nQualifications: {agreement.qualifications_en}"
        ),
        min_education_level=agreement.min_education_level,
        fields_of_study=list(agreement.fields_of_study or []),
    )
    round_ = recruitment.create_channel_round(agreement.agency_id, actor, draft, stages, **values)
    link = AgreementRound(round_id=round_.id, agreement_id=agreement.id, fiscal_year=fiscal_year(first))
    db.session.add(link)
    db.session.flush()
    record(
        "partner.round.open",
        link,
        actor=actor,
        after={
            "round": round_.id,
            "code": round_.code,
            "agreement": agreement.number,
            "fiscal_year": link.fiscal_year,
        },
    )
    db.session.commit()
    return round_


def agreement_round(round_: Round) -> AgreementRound | None:
    return db.session.scalar(select(AgreementRound).where(AgreementRound.round_id == round_.id))


def rounds_of_agreement(agreement: Agreement) -> list[AgreementRound]:
    return list(
        db.session.scalars(
            select(AgreementRound)
            .where(AgreementRound.agreement_id == agreement.id)
            .order_by(AgreementRound.id.desc())
        )
    )
