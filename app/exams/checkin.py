"""Check-in: the candidate confirms identity and the rules, and gets their form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from ..accounts.models import User
from ..audit.services import record
from ..common import national_id as nid
from ..common.clock import BANGKOK, now
from ..common.errors import Forbidden
from ..extensions import db
from . import parallel_forms, timing
from .assembly import assemble_form
from .errors import CheckInRefused
from .models import Attempt, Seat


@dataclass
class SystemCheck:
    websocket_ok: bool
    rtt_ms: float | None = None
    clock_offset_ms: float | None = None


def check_in(
    seat: Seat,
    user: User,
    *,
    national_id_last4: str,
    birth_date: date,
    accept_rules: bool,
    system_check: SystemCheck | None = None,
    at: datetime | None = None,
) -> Attempt:
    """Confirm identity and the rules; build the candidate's form. Checking in again is fine."""
    at = at or now()
    sitting = seat.sitting
    if seat.candidate_id != user.id:
        raise Forbidden(_("This seat belongs to another candidate."))
    if at < timing.checkin_opens_at(sitting):
        raise CheckInRefused(
            _(
                "Check-in opens at %(time)s.",
                time=timing.checkin_opens_at(sitting).astimezone(BANGKOK).strftime("%H:%M"),
            )
        )
    if sitting.status == "ended" or timing.start_refusal(sitting, at) == "entry_closed":
        raise CheckInRefused(_("Entry to this sitting has closed."))
    digits = nid.normalize(user.national_id or "")
    if (
        len(national_id_last4 or "") != 4
        or not digits.endswith(national_id_last4)
        or user.birth_date != birth_date
    ):
        record("seat.checkin_failed", seat, actor=user, after={"at": at})
        db.session.commit()
        raise CheckInRefused(
            _("The last four digits of the national ID or the birth date do not match our records."),
            "national_id_last4",
        )
    if not accept_rules:
        raise CheckInRefused(_("You must accept the exam rules to check in."), "accept_rules")
    if seat.checked_in_at is None:
        seat.checked_in_at = at
    if system_check is not None:
        seat.system_check = system_check.__dict__
    attempt = seat.attempt
    if attempt is None and sitting.timing_mode == timing.WINDOW:
        # A window sitting opens by itself at its start: its forms are checked at each
        # candidate's first check-in instead of when a proctor starts it.
        refusal = parallel_forms.opening_refusal(sitting.exam)
        if refusal is not None:
            record("sitting.open_refused", sitting, actor=user, after={"reason": refusal})
            db.session.commit()
            raise CheckInRefused(
                _("This test cannot open yet: its forms are not ready. Please tell the proctor or HR.")
            )
    if attempt is None:
        seed = secrets.randbelow(2**31 - 1)
        attempt = Attempt(seat_id=seat.id, form_seed=seed, form=assemble_form(sitting.exam, seed))
        db.session.add(attempt)
    db.session.flush()
    record("seat.checkin", seat, actor=user, after={"at": at, "system_check": seat.system_check})
    db.session.commit()
    return attempt
