"""Words for the MOU channel's statuses and kinds, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import labeller
from .models import AgreementStatus, NominationStatus, OrganisationKind

nomination_status_label = labeller(
    {
        NominationStatus.INVITED: lambda: _("invited, awaiting the nominee's answer"),
        NominationStatus.ACCEPTED: lambda: _("accepted by the nominee"),
        NominationStatus.DECLINED: lambda: _("declined by the nominee"),
        NominationStatus.WITHDRAWN: lambda: _("withdrawn by the partner"),
    }
)
organisation_kind_label = labeller(
    {
        OrganisationKind.UNIVERSITY: lambda: _("University"),
        OrganisationKind.HOSPITAL: lambda: _("Hospital"),
        OrganisationKind.PUBLIC_BODY: lambda: _("Public body"),
        OrganisationKind.OTHER: lambda: _("Other organisation"),
    }
)
agreement_status_label = labeller(
    {
        AgreementStatus.ACTIVE: lambda: _("active"),
        AgreementStatus.TERMINATED: lambda: _("ended"),
    }
)
