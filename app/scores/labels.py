"""Words for where a score came from, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import labeller
from .models import ScoreSource

SOURCE_LABELS = {
    ScoreSource.EXAM: lambda: _("Online test"),
    ScoreSource.CERTIFICATE: lambda: _("Part A certificate"),
    ScoreSource.INTERVIEW: lambda: _("Interview panel"),
    ScoreSource.HR_ENTRY: lambda: _("Entered by HR"),
    ScoreSource.IMPORT: lambda: _("CSV import"),
    ScoreSource.CORRECTION: lambda: _("Corrected by HR"),
}


source_label = labeller(SOURCE_LABELS)
