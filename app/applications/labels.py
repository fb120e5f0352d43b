"""The words of applications: labels of their statuses, accommodation statuses and document kinds,
what happens after applying, and what an irreversible step will do."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import current_locale, labeller
from ..common.thai import format_datetime
from ..recruitment.services import stage_label
from .models import (
    AccommodationStatus,
    Application,
    ApplicationStatus,
    DocumentKind,
)

STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: lambda: _("submitted, awaiting review"),
    ApplicationStatus.APPROVED: lambda: _("approved"),
    ApplicationStatus.REJECTED: lambda: _("rejected"),
    ApplicationStatus.WITHDRAWN: lambda: _("withdrawn"),
}


ACCOMMODATION_STATUS_LABELS = {
    AccommodationStatus.REQUESTED: lambda: _("awaiting HR decision"),
    AccommodationStatus.APPROVED: lambda: _("approved"),
    AccommodationStatus.ADJUSTED: lambda: _("approved with adjustment"),
    AccommodationStatus.DENIED: lambda: _("denied"),
}


DOCUMENT_KIND_LABELS = {
    DocumentKind.ID_CARD: lambda: _("National ID card"),
    DocumentKind.TRANSCRIPT: lambda: _("Transcript"),
    DocumentKind.DEGREE: lambda: _("Degree certificate"),
    DocumentKind.DISABILITY_CARD: lambda: _("Disability registration card"),
    DocumentKind.SERVICE_RECORD: lambda: _("BMA service record"),
    DocumentKind.PHOTO: lambda: _("Photograph"),
    DocumentKind.OTHER: lambda: _("Other document"),
}


status_label = labeller(STATUS_LABELS)
accommodation_status_label = labeller(ACCOMMODATION_STATUS_LABELS)
document_kind_label = labeller(DOCUMENT_KIND_LABELS)


def next_steps(app_: Application) -> list[str]:
    """What happens after the application is submitted, in order (the confirmation page)."""
    round_ = app_.round
    steps = [
        _(
            "HR of %(agency)s checks your application and documents after applications close on "
            "%(closes)s. The decision (approved, or rejected with the reason) appears on your "
            "application's page and in “My applications”.",
            agency=round_.agency.name(current_locale()),
            closes=format_datetime(round_.closes_at, current_locale()),
        )
    ]
    stages = [stage_label(s.kind) for s in sorted(round_.stages, key=lambda s: s.seq)]
    if stages:
        steps.append(
            _(
                "Once approved you take part in the round's stages in this order: %(stages)s. Dates, "
                "rooms and admission tickets appear under “My exams” and “My interviews” when HR "
                "sets them.",
                stages=" → ".join(stages),
            )
        )
    steps.append(
        _(
            "The results are published as lists on “Result lists”; if you are called from a list, "
            "the offer appears under “My offers”."
        )
    )
    return steps


_CONSEQUENCES = {
    "withdraw": lambda **v: _(
        "Application %(number)s to “%(round)s” will be withdrawn: HR will not review it and you "
        "will not take part in the round. While the round accepts applications you can apply "
        "again with the same number.",
        **v,
    ),
    "approve": lambda **v: _(
        "Application %(number)s of %(name)s will be approved: the candidate takes part in the "
        "round's tests and sees the decision on their application page.",
        **v,
    ),
    "reject": lambda **v: _(
        "Application %(number)s of %(name)s will be rejected with the reason you gave, which the "
        "candidate will see. The candidate does not take part in the round.",
        **v,
    ),
}


def consequence(step: str, app_: Application) -> str:
    """What `step` (withdraw, approve, reject) will do to the application (its confirmation)."""
    return _CONSEQUENCES[step](
        number=app_.number, name=app_.candidate.full_name_th, round=app_.round.title(current_locale())
    )


def consequences(app_: Application) -> dict[str, str]:
    """Every step's consequence, for the application page's confirmation dialogs."""
    return {step: consequence(step, app_) for step in _CONSEQUENCES}
