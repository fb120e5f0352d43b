"""What a proctor sees of a sitting: one row per candidate, derived from what is stored."""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import defer, joinedload, lazyload, load_only, with_expression

from ..accounts.models import User
from ..applications.models import Application
from ..common.access import is_hr_of
from ..common.clock import now
from ..extensions import db, socketio
from . import timing
from .models import Attempt, AttemptAnswer, Seat, Sitting, SittingProctor

PROCTOR = "proctor"  # (accounts.models.Role.PROCTOR)

log = logging.getLogger(__name__)


def candidate_state(seat: Seat) -> str:
    attempt = seat.attempt
    if attempt is None:
        return "checked_in" if seat.checked_in_at else "not_checked_in"
    if attempt.status == "submitted":
        return "submitted"
    if attempt.status == "in_progress":
        return "in_progress" if attempt.live_sid else "disconnected"
    return "checked_in"


def candidate_row(seat: Seat, answered: int | None = None, at: datetime | None = None) -> dict:
    at = at or now()
    attempt = seat.attempt
    if answered is None and attempt is not None:
        answered = answered_counts(Seat.id == seat.id).get(seat.id, 0)
    sitting = seat.sitting
    frozen = timing.clock_stops_at(sitting.status, sitting.paused_at, at)
    state = candidate_state(seat)
    return {
        "seat_id": seat.id,
        "name": seat.candidate.full_name_th,
        "application_number": seat.application.number if seat.application else "",
        "room": seat.room,
        "seat": seat.seat_number,
        "state": state,
        # Time lost on the candidate's side: since when they are away, and what nobody gave
        # back yet (the proctor's one-step "give back"); time lost to the server comes back by
        # itself (`outage_seconds`).
        "disconnected_since": attempt.last_seen_at.isoformat()
        if state == "disconnected" and attempt.last_seen_at
        else None,
        "lost_seconds": timing.pending_lost_seconds(attempt, at) if attempt else 0,
        "outage_seconds": attempt.outage_seconds if attempt else 0,
        "answered": answered or 0,
        "item_count": _item_count(attempt) if attempt else 0,
        "remaining_seconds": timing.remaining_seconds(attempt, frozen) if attempt else None,
        "focus_losses": attempt.focus_losses if attempt else 0,
        "extra_time_percent": seat.extra_time_percent,
        "score": str(attempt.score) if attempt and attempt.score is not None else None,
    }


def _item_count(attempt: Attempt) -> int:
    counted = attempt.item_count  # (_rows: counted by the database, the form left unread)
    return counted if counted is not None else len(attempt.form)


def candidate_rows(sitting: Sitting) -> list[dict]:
    """Every row of the sitting's dashboard, in seat order, read as the batches read theirs."""
    return _rows(Seat.sitting_id == sitting.id).get(sitting.id, [])


def is_assigned(user, sitting: Sitting) -> bool:
    """Whether HR assigned `user` to proctor `sitting` (and they are still a proctor of its
    agency: a proctor moved to another agency or stripped of the role loses the sitting)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.agency_id is not None
        and user.agency_id == sitting.agency_id
        and user.has_role(PROCTOR)
        and db.session.scalar(
            select(SittingProctor.id).where(
                SittingProctor.sitting_id == sitting.id, SittingProctor.user_id == user.id
            )
        )
    )


def can_proctor(user, sitting: Sitting) -> bool:
    """HR of the sitting's agency, and the proctors HR assigned to this sitting: the one rule
    behind the proctor's page and every /proctor event."""
    return is_hr_of(user, sitting.agency_id) or is_assigned(user, sitting)


def sittings_to_proctor(user) -> list[Sitting]:
    """The sittings `user` may open the dashboard of: all of the agency's for its HR, the
    assigned ones for a proctor; newest first."""
    if user is None or user.agency_id is None:
        return []
    query = select(Sitting).where(Sitting.agency_id == user.agency_id)
    if not is_hr_of(user, user.agency_id):
        query = query.where(
            Sitting.id.in_(select(SittingProctor.sitting_id).where(SittingProctor.user_id == user.id))
        )
    return list(db.session.scalars(query.order_by(Sitting.starts_at.desc(), Sitting.id.desc())))


def answered_counts(seats) -> dict[int, int]:
    """Answered questions per seat among `seats` (a condition on Seat); seats without an
    attempt are left out. The one count behind every row and every batch the proctors get."""
    return dict(
        db.session.execute(
            select(Seat.id, func.count(AttemptAnswer.id))
            .join(Attempt, Attempt.seat_id == Seat.id)
            .outerjoin(
                AttemptAnswer, and_(AttemptAnswer.attempt_id == Attempt.id, AttemptAnswer.choice.is_not(None))
            )
            .where(seats)
            .group_by(Seat.id)
        ).all()
    )


def rows_for(seat_ids) -> dict[int, list[dict]]:
    """The proctors' rows of these seats, by sitting."""
    ids = list(seat_ids)
    return _rows(Seat.id.in_(ids)) if ids else {}


def _rows(seats) -> dict[int, list[dict]]:
    """The proctors' rows of the seats matching `seats` (a condition on Seat), by sitting, in
    seat order: one query for the seats (with their attempts, candidates' names and
    application numbers) and one for the answer counts.

    Every seat that joins or leaves gets its row rebuilt (a hall reconnecting: 10,000 rows in
    seconds), so the attempts' forms are counted by the database and never read or parsed
    here, nor are their section scores."""
    found = db.session.scalars(
        select(Seat)
        .where(seats)
        .options(
            joinedload(Seat.attempt).options(
                defer(Attempt.form),
                defer(Attempt.section_scores),
                with_expression(Attempt.item_count, func.json_array_length(Attempt.form)),
            ),
            joinedload(Seat.sitting),
            joinedload(Seat.candidate).options(
                load_only(User.first_name_th, User.last_name_th), lazyload(User.roles)
            ),
            joinedload(Seat.application).load_only(Application.number),
        )
        .order_by(Seat.id)
    ).all()
    counts = answered_counts(seats)
    at = now()
    rows: dict[int, list[dict]] = {}
    for seat in found:
        rows.setdefault(seat.sitting_id, []).append(candidate_row(seat, counts.get(seat.id, 0), at))
    return rows


# Whole rows per `candidates` message: built in one go each, the event loop served between.
ROWS_PER_MESSAGE = 200


class ProgressBatcher:
    """The proctors' tables kept current in batches, told at most once per `interval` seconds.

    Answers are the busiest event of a sitting (thousands of candidates, one every few
    seconds each), and a hall joins, leaves and joins again all at once after a network blip;
    a message per event for every proctor would cost the server more than the events. Instead
    each process notes which seats answered (`answered`) and which joined or left
    (`changed`), and every `interval` sends, per sitting, one `progress` message with the
    answer counts `{rows: [{seat_id, answered}]}` (one query) and one `candidates` message
    with the whole rows of the seats that joined or left `{rows: [row, ...]}` (two queries).
    With `interval` 0 they are sent at once, one event each.

    Leaves are stored by the same batch (`left`): a page that drops marks its attempt as no
    longer live, and after a network blip a whole hall drops in the same second. One UPDATE
    and commit per page, each holding a pooled connection, starved the joins that followed
    (session 9: 1,138 leaves in one process waited 10 s for a connection and failed). So the
    leaves of an interval are stored together (`store_leaves`, one statement, one commit) just
    before their rows are read; a leave that fails to be stored stays pending for the next.
    One batcher per application (and per process: a forked worker starts its own).
    """

    def __init__(self, app, send, interval: float, send_rows=None, store_leaves=None):
        self.app, self.send, self.interval = app, send, interval
        self.send_rows = send_rows
        self.store_leaves = store_leaves
        self.pending: dict[int, set[int]] = {}
        self.changed_seats: dict[int, set[int]] = {}
        # (sitting id, seat id, the leave to store) of the pages that dropped, in order
        self.leaves: list[tuple[int, int, object]] = []
        self.lock = threading.Lock()
        self.pid: int | None = None

    def answered(self, sitting_id: int, seat_id: int) -> None:
        if not self.interval:
            self.send(sitting_id, self.rows({seat_id}))
            return
        self._note(self.pending, sitting_id, seat_id)

    def changed(self, sitting_id: int, seat_id: int) -> None:
        """The seat's whole row changed (its candidate joined or left)."""
        if not self.interval:
            for sitting, rows in rows_for({seat_id}).items():
                self.send_rows(sitting, rows)
            return
        self._note(self.changed_seats, sitting_id, seat_id)

    def left(self, sitting_id: int, seat_id: int, leave) -> None:
        """The seat's page dropped: `leave` (whatever `store_leaves` takes) is stored with the
        next batch, then its row is sent as for `changed`."""
        if not self.interval:
            self.store_leaves([leave])
            self.changed(sitting_id, seat_id)
            return
        with self.lock:
            self.leaves.append((sitting_id, seat_id, leave))
            self._start()

    def _note(self, pending: dict[int, set[int]], sitting_id: int, seat_id: int) -> None:
        with self.lock:
            pending.setdefault(sitting_id, set()).add(seat_id)
            self._start()

    def _start(self) -> None:
        """(under the lock) The batch's task of this process, started by its first note."""
        if self.pid != os.getpid():
            self.pid = os.getpid()
            socketio.start_background_task(self._run)

    def _flush_leaves(self) -> None:
        with self.lock:
            leaves, self.leaves = self.leaves, []
        if not leaves:
            return
        try:
            self.store_leaves([leave for _, _, leave in leaves])
        except BaseException:
            with self.lock:  # (kept, in order, for the next batch)
                self.leaves[:0] = leaves
            raise
        with self.lock:
            for sitting_id, seat_id, _ in leaves:
                self.changed_seats.setdefault(sitting_id, set()).add(seat_id)

    def rows(self, seat_ids) -> list[dict]:
        counts = answered_counts(Seat.id.in_(list(seat_ids)))
        return [{"seat_id": seat_id, "answered": count} for seat_id, count in sorted(counts.items())]

    def flush(self) -> int:
        """Store the pending leaves, then send what is pending; returns the number of rows
        sent."""
        self._flush_leaves()
        with self.lock:
            batch, self.pending = self.pending, {}
            changed, self.changed_seats = self.changed_seats, {}
        sent = 0
        for sitting_id, seat_ids in batch.items():
            seat_ids = seat_ids - changed.get(sitting_id, set())  # (a whole row has the count)
            if seat_ids:
                rows = self.rows(seat_ids)
                self.send(sitting_id, rows)
                sent += len(rows)
        seats = sorted(set().union(*changed.values())) if changed else []
        for i in range(0, len(seats), ROWS_PER_MESSAGE):  # (a hall that joined again: thousands)
            for sitting_id, rows in rows_for(seats[i : i + ROWS_PER_MESSAGE]).items():
                self.send_rows(sitting_id, rows)
                sent += len(rows)
            socketio.sleep(0)  # (let the event loop serve between chunks)
        return sent

    def _run(self) -> None:
        while True:
            socketio.sleep(self.interval)
            if not self.pending and not self.changed_seats and not self.leaves:
                continue
            with self.app.app_context():
                try:
                    self.flush()
                except Exception:  # a database hiccup must not stop the proctors' updates
                    log.exception("proctor progress not sent")
                    db.session.rollback()
