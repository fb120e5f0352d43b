"""The candidate's interview pages: my interviews (confirm, move before the cut-off, check in on
the day, download the invitation) and the times I cannot attend."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..applications.services import get_application
from ..common.auth import roles_required
from ..common.errors import DomainError, Forbidden
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..common.thai import format_datetime
from ..extensions import db
from . import booking, bp, calendar, schedule
from .forms import ButtonForm, MoveForm, UnavailableForm
from .models import Unavailability


def _me():
    return current_user._get_current_object()


def _need_button() -> None:
    if not ButtonForm().validate_on_submit():  # only the CSRF token to check
        abort(400)


def _render_mine(status: int = 200, unavailable_forms=None):
    me = _me()
    waiting = booking.awaiting_schedule(me)
    rows = booking.my_interviews(me)
    applications = waiting + [r.interview.application for r in rows if r.interview.status in booking.LIVE]
    forms = unavailable_forms or {}
    for a in applications:
        forms.setdefault(a.id, UnavailableForm(formdata=None, prefix=f"u{a.id}"))
    return render_template(
        "interviews/candidate_mine.html",
        rows=rows,
        waiting=waiting,
        applications=applications,
        unavailable={a.id: booking.unavailabilities_of(a) for a in applications},
        unavailable_forms=forms,
        button=ButtonForm(formdata=None),
    ), status


@bp.route("/interviews")
@roles_required(Role.CANDIDATE)
def mine():
    return _render_mine()


@bp.route("/interviews/<int:interview_id>/confirm", methods=["POST"])
@roles_required(Role.CANDIDATE)
def confirm(interview_id: int):
    interview = booking.interview_for_candidate(interview_id, _me())
    _need_button()
    try:
        booking.confirm_slot(interview, _me())
    except DomainError as err:
        show_error(None, err)
        return redirect(url_for(".mine"))
    flash(
        _(
            "Your interview on %(when)s is confirmed.",
            when=format_datetime(interview.slot.starts_at, current_locale()),
        ),
        "success",
    )
    return redirect(url_for(".mine"))


def _slot_label(slot) -> str:
    return schedule.slot_label(slot, current_locale())


@bp.route("/interviews/<int:interview_id>/move", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def move(interview_id: int):
    interview = booking.interview_for_candidate(interview_id, _me())
    slots = booking.movable_slots(interview)
    form = MoveForm(slots=slots, label=_slot_label)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                slot = schedule.get_slot(form.slot_id.data)
                booking.move_to_slot(interview, _me(), slot)
            except DomainError as err:
                code = show_error(form, err)
                return _render_move(interview, form, code)
            flash(
                _(
                    "Your interview has moved to %(when)s. A new invitation is on its way.",
                    when=_slot_label(slot),
                ),
                "success",
            )
            return redirect(url_for(".mine"))
        return _render_move(interview, form, 422)
    return _render_move(interview, form, 200)


def _render_move(interview, form, status: int):
    # After a refusal the choice is offered again from what is free now.
    if status != 200:
        form.slot_id.choices = [(s.id, _slot_label(s)) for s in booking.movable_slots(interview)]
    return render_template(
        "interviews/candidate_move.html",
        interview=interview,
        form=form,
        can_move=booking.can_move(interview),
        deadline=booking.move_deadline(interview),
        slot_label=_slot_label,
    ), status


@bp.route("/interviews/<int:interview_id>/invitation.ics")
@roles_required(Role.CANDIDATE)
def ics(interview_id: int):
    interview = booking.interview_for_candidate(interview_id, _me())
    return Response(
        calendar.candidate_ics(interview, _me()),
        mimetype="text/calendar; charset=utf-8; method=REQUEST",
        headers={
            "Content-Disposition": f'attachment; filename="{calendar.filename_of(interview)}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/interviews/<int:interview_id>/check-in", methods=["POST"])
@roles_required(Role.CANDIDATE)
def check_in(interview_id: int):
    interview = booking.interview_for_candidate(interview_id, _me())
    _need_button()
    try:
        booking.check_in_for_interview(interview, _me())
    except DomainError as err:
        show_error(None, err)
        return redirect(url_for(".mine"))
    flash(_("You have checked in. The panel sees that you are waiting; join at your time."), "success")
    return redirect(url_for(".mine"))


@bp.route("/interviews/applications/<int:app_id>/unavailable", methods=["POST"])
@roles_required(Role.CANDIDATE)
def unavailable(app_id: int):
    application = get_application(app_id)
    if application.candidate_id != current_user.id:
        raise Forbidden(_("This is not your application."))
    form = UnavailableForm(prefix=f"u{application.id}")
    if not form.validate_on_submit():
        return _render_mine(422, {application.id: form})
    try:
        booking.declare_unavailable(application, _me(), **form.values())
    except DomainError as err:
        return _render_mine(show_error(form, err), {application.id: form})
    flash(_("The time you cannot attend has been recorded."), "success")
    return redirect(url_for(".mine"))


@bp.route("/interviews/unavailable/<int:row_id>/withdraw", methods=["POST"])
@roles_required(Role.CANDIDATE)
def unavailable_withdraw(row_id: int):
    _need_button()
    row = db.session.get(Unavailability, row_id)
    if row is None:
        abort(404)
    booking.withdraw_unavailable(row, _me())
    flash(_("The time has been removed."), "success")
    return redirect(url_for(".mine"))
