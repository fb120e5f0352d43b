"""A large round's list prepared in the background: ranking and storing thousands of entries
is quick (docs/performance.md: 100,000 in under 2 s on a quiet box) but not on a busy one, so a
round of more than BACKGROUND_ROWS_THRESHOLD candidates prepares its draft as a job, its
progress on the job's page and a link to the draft when it is ready."""

from __future__ import annotations

from flask_babel import gettext as _

from ..accounts.models import User
from ..background.services import Outcome, register
from ..extensions import db
from ..recruitment.models import Round
from .generation import generate_list

JOB_KIND = "merit.generate_list"


def draft_prepared(merit_list) -> str:
    """What HR is told once a draft is prepared (on the page or as the job's summary)."""
    return _(
        "Draft prepared: %(title)s, version %(v)s. A second HR approver must check and "
        "approve it before it can be published.",
        title=merit_list.title_th,
        v=merit_list.version,
    )


def generate_job(progress, round_id: int, actor_id: int, kind: str, tie_break=None) -> Outcome:
    """The same rules as preparing it on the page (a refusal is the job's error, as it reads)."""
    round_, actor = db.session.get(Round, round_id), db.session.get(User, actor_id)
    progress(0, 1, _("Ranking the candidates and storing the list…"))
    merit_list = generate_list(round_, actor, kind=kind, tie_break=tie_break)
    entries = len(merit_list.entries)
    progress(1, 1, _("%(n)s entries stored.", n=entries))
    return Outcome(summary=draft_prepared(merit_list), data={"list_id": merit_list.id, "entries": entries})


register(JOB_KIND, generate_job)
