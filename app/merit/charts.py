"""A result list's summary drawn: how the totals of its entries spread, and where the entries
stand (available, called, appointed, ...)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..common import charts
from ..extensions import db
from .entries import status_counts
from .labels import entry_status_label, list_title
from .models import EntryStatus, MeritEntry, MeritList


def totals_distribution(merit_list: MeritList) -> charts.Chart | None:
    totals = list(
        db.session.scalars(
            select(MeritEntry.total).where(MeritEntry.list_id == merit_list.id, MeritEntry.total.is_not(None))
        )
    )
    if not totals:
        return None
    top = max(totals)
    title = _("Totals on %(title)s", title=list_title(merit_list))
    desc = _(
        "How the totals of the %(n)s entries spread from 0 to %(max)s in ten equal ranges.",
        n=len(totals),
        max=top,
    )
    return charts.histogram(
        totals, top, title=title, desc=desc, x_title=_("Total range"), y_title=_("Entries")
    )


def status_summary(merit_list: MeritList) -> charts.Chart | None:
    counts = status_counts(merit_list)
    if not counts:
        return None
    statuses = list(EntryStatus.ALL)
    title = _("Where the entries stand")
    desc = _(
        "How many of the %(n)s entries are available, called, appointed, waived or lapsed.",
        n=sum(counts.values()),
    )
    return charts.bars(
        [entry_status_label(s) for s in statuses],
        [counts.get(s, 0) for s in statuses],
        title=title,
        desc=desc,
        x_title=_("Status"),
        y_title=_("Entries"),
    )
