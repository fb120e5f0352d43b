"""The charts of a sitting's results page: how the scores spread, every item's facility against
its discrimination, and the choices candidates took on each item."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common import charts
from ..common.i18n import current_locale
from .analysis import DISCRIMINATION_LOW, FACILITY_HIGH, FACILITY_LOW, ItemStats, ResultRow
from .models import Sitting


def score_distribution(sitting: Sitting, rows: list[ResultRow]) -> charts.Chart | None:
    done = [r.attempt for r in rows if r.submitted and r.attempt.score is not None]
    if not done:
        return None
    maximum = done[0].max_score
    title = _("Scores of %(title)s", title=sitting.title(current_locale()))
    desc = _(
        "How the %(n)s submitted tests' scores spread from 0 to %(max)s in ten equal ranges.",
        n=len(done),
        max=maximum,
    )
    return charts.histogram(
        [a.score for a in done],
        maximum,
        title=title,
        desc=desc,
        x_title=_("Score range"),
        y_title=_("Candidates"),
    )


def _label(it: ItemStats) -> str:
    return f"{it.info.code} v{it.info.version}"


def facility_discrimination(items: list[ItemStats]) -> charts.Chart | None:
    points = [
        (_label(it), it.facility, it.discrimination)
        for it in items
        if it.facility is not None and it.discrimination is not None
    ]
    if not points:
        return None
    review = {_label(it) for it in items if it.review}
    title = _("Facility against discrimination")
    desc = _(
        "One dot per item (%(n)s items): across, the share who answered correctly; up, how well "
        "the item tells stronger candidates from weaker ones. Items with a facility under %(low)s "
        "or over %(high)s, or a discrimination under %(d)s, are marked for review (%(r)s items).",
        n=len(points),
        low=FACILITY_LOW,
        high=FACILITY_HIGH,
        d=DISCRIMINATION_LOW,
        r=len([p for p in points if p[0] in review]),
    )
    return charts.scatter(
        points,
        title=title,
        desc=desc,
        x_title=_("Facility"),
        y_title=_("Discrimination"),
        series=[
            (_("To review"), [p for p in points if p[0] in review]),
            (_("Fine"), [p for p in points if p[0] not in review]),
        ],
    )


def choice_counts(item: ItemStats) -> charts.Chart:
    labels = [
        (f"{choice} ({_('key')})" if choice == item.info.key else choice) for choice in item.choice_counts
    ] + [_("Omitted")]
    counts = [*item.choice_counts.values(), item.omitted]
    title = _("Choices taken on item %(item)s", item=_label(item))
    desc = _(
        "How many of the %(n)s candidates took each choice; the key is %(key)s.", n=item.n, key=item.info.key
    )
    return charts.bars(labels, counts, title=title, desc=desc, x_title=_("Choice"), y_title=_("Candidates"))
