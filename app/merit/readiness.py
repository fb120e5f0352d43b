"""Lifecycle gates: may a list of a round be produced yet? For a round and a kind of list, the
conditions still unmet, as data a page can show in words ("12 interviews not finalized",
"Part A results not published", "the application window is still open until …").

Preparing (generation), approving and publishing (workflow) all ask `require_ready`, so an
official list is never produced from a round whose stages are not complete:
- eligible: the application window is closed and every application is decided;
- passed to Part C: the same, and every stage before Part C complete for every candidate;
- merit: the same, and every stage of the round complete for every candidate.
A stage is complete for a candidate who has its score, who was recorded absent (a seat in an
ended sitting of the round without a submitted test; an interview marked no-show), or who is
out of the running (failed an earlier stage). Part A also needs every sitting of the round
ended and its results published (when the exam's results wait for publication).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..applications.models import Application, ApplicationStatus
from ..common.clock import now
from ..common.errors import NotAllowed
from ..common.i18n import current_locale
from ..common.thai import format_datetime
from ..exams.models import Attempt, Exam, Seat, Sitting
from ..extensions import db
from ..recruitment.models import Round, RoundStatus, StageKind
from ..scores.models import StageScore
from ..scores.progress import stage_progress
from .labels import stage_short_label
from .models import ListKind


@dataclass(frozen=True)
class Unmet:
    code: str  # window_open, undecided, sittings_not_ended, results_unpublished, ...
    count: int
    message: str
    stage: str = ""


class NotReady(NotAllowed):
    """The round is not at the stage this list needs; `unmet` says what is missing."""

    code = "not_ready"

    def __init__(self, unmet: list[Unmet]):
        super().__init__(
            _("This list cannot be produced yet: %(missing)s.", missing="; ".join(u.message for u in unmet))
        )
        self.unmet = unmet


def stages_for(round_: Round, kind: str) -> list[str]:
    """The stages a list of `kind` rests on, in order."""
    stages = sorted(round_.stages, key=lambda s: s.seq)
    if kind == ListKind.ELIGIBLE:
        return []
    if kind == ListKind.PASSED_TO_PART_C:
        part_c = round_.stage(StageKind.PART_C)
        return [s.kind for s in stages if part_c is not None and s.seq < part_c.seq]
    return [s.kind for s in stages]


def unmet_conditions(round_: Round, kind: str) -> list[Unmet]:
    """What still stands between the round and a list of `kind` (empty: ready)."""
    unmet: list[Unmet] = []
    if round_.status == RoundStatus.DRAFT:
        unmet.append(Unmet("round_draft", 1, _("the round has not been announced")))
    if now() < round_.closes_at:
        unmet.append(
            Unmet(
                "window_open",
                1,
                _(
                    "the application window is still open until %(when)s",
                    when=format_datetime(round_.closes_at, current_locale()),
                ),
            )
        )
    undecided = (
        db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.round_id == round_.id, Application.status == ApplicationStatus.SUBMITTED)
        )
        or 0
    )
    if undecided:
        unmet.append(
            Unmet(
                "undecided",
                undecided,
                _("%(n)s applications not yet decided (approved or rejected)", n=undecided),
            )
        )
    kinds = stages_for(round_, kind)
    if kinds:
        unmet.extend(_stages_unmet(round_, kinds))
    return unmet


def require_ready(round_: Round, kind: str) -> None:
    unmet = unmet_conditions(round_, kind)
    if unmet:
        raise NotReady(unmet)


def _stages_unmet(round_: Round, kinds: list[str]) -> list[Unmet]:
    apps = dict(
        db.session.execute(
            select(Application.id, Application.candidate_id).where(
                Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED
            )
        ).all()
    )
    scores: dict[tuple[int, str], bool] = {
        (a, k): bool(p)
        for a, k, p in db.session.execute(
            select(StageScore.application_id, StageScore.stage_kind, StageScore.passed)
            .join(Application, Application.id == StageScore.application_id)
            .where(Application.round_id == round_.id, StageScore.stage_kind.in_(kinds))
        )
    }
    unmet: list[Unmet] = []
    in_running = set(apps)
    for kind in kinds:
        label = stage_short_label(kind)
        excused: set[int] = set()
        if kind == StageKind.PART_A:
            unmet.extend(_part_a_sittings_unmet(round_))
            excused = _absent_from_part_a(round_, apps)
        elif kind == StageKind.PART_C:
            open_, excused = _progress(round_, kind)
            pending = len(open_ & in_running)
            if pending:
                unmet.append(
                    Unmet("interviews_open", pending, _("%(n)s interviews not finalized", n=pending), kind)
                )
        missing = [a for a in in_running if (a, kind) not in scores and a not in excused]
        if kind == StageKind.PART_C:
            missing = [a for a in missing if a not in open_]  # already counted above
        if missing:
            unmet.append(
                Unmet(
                    "scores_missing",
                    len(missing),
                    _("%(n)s candidates have no %(stage)s score", n=len(missing), stage=label),
                    kind,
                )
            )
        in_running = {a for a in in_running if scores.get((a, kind), False)}
    return unmet


def _part_a_sittings_unmet(round_: Round) -> list[Unmet]:
    sittings = db.session.execute(
        select(Sitting.status, Sitting.results_published_at, Exam.results_policy)
        .join(Exam, Exam.id == Sitting.exam_id)
        .where(Sitting.round_id == round_.id, Exam.is_part_a.is_(True))
    ).all()
    unmet = []
    not_ended = sum(1 for status, _p, _r in sittings if status != "ended")
    if not_ended:
        unmet.append(
            Unmet(
                "sittings_not_ended",
                not_ended,
                _("%(n)s Part A sittings not ended", n=not_ended),
                StageKind.PART_A,
            )
        )
    unpublished = sum(
        1 for _s, published, policy in sittings if policy == "after_publication" and published is None
    )
    if unpublished:
        unmet.append(
            Unmet(
                "results_unpublished",
                unpublished,
                _("Part A results not published (%(n)s sittings)", n=unpublished),
                StageKind.PART_A,
            )
        )
    return unmet


def _absent_from_part_a(round_: Round, apps: dict[int, int]) -> set[int]:
    """Applications whose candidate had a seat in an ended sitting of the round and submitted
    no test there: recorded absent (they fail Part A; nothing more to wait for)."""
    seated = set(
        db.session.scalars(
            select(Seat.candidate_id)
            .join(Sitting, Sitting.id == Seat.sitting_id)
            .where(Sitting.round_id == round_.id, Sitting.status == "ended")
        )
    )
    submitted = set(
        db.session.scalars(
            select(Seat.candidate_id)
            .join(Sitting, Sitting.id == Seat.sitting_id)
            .join(Attempt, Attempt.seat_id == Seat.id)
            .where(Sitting.round_id == round_.id, Attempt.status == "submitted")
        )
    )
    absent = seated - submitted
    return {a for a, candidate in apps.items() if candidate in absent}


def _progress(round_: Round, kind: str) -> tuple[set[int], set[int]]:
    """(applications whose result at `kind` is still being decided, those recorded absent), as
    the capability producing the stage answers scores.stage_progress (Part C: interviews)."""
    open_: set[int] = set()
    absent: set[int] = set()
    for _receiver, answer in stage_progress.send(round_, stage_kind=kind):
        open_ |= set((answer or {}).get("open", ()))
        absent |= set((answer or {}).get("absent", ()))
    return open_, absent
