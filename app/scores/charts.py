"""The charts of the stage-score pages: how a stage's scores are spread in a round."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common import charts
from ..recruitment.models import Round
from ..recruitment.services import stage_label
from .recording import stage_of
from .results import stage_score_values


def stage_distribution(round_: Round, stage_kind: str) -> charts.Chart:
    stage = stage_of(round_, stage_kind)
    values = stage_score_values(round_, stage_kind)
    passed = sum(1 for v in values if v >= stage.pass_score)
    title = _("Scores of %(stage)s, round %(code)s", stage=stage_label(stage_kind), code=round_.code)
    desc = _(
        "How %(n)s scores spread from 0 to %(max)s in ten equal ranges; %(passed)s reach the "
        "pass mark of %(pass)s.",
        n=len(values),
        max=stage.max_score,
        passed=passed,
        **{"pass": stage.pass_score},
    )
    return charts.histogram(
        values,
        stage.max_score,
        title=title,
        desc=desc,
        x_title=_("Score range"),
        y_title=_("Applicants"),
    )
