"""Seat booking pages: the candidate's choice of sitting, moving, cancelling, confirming and
waiting lists; HR's booking window of a round with fill rates per sitting and centre, the
bookings of a sitting and moving a candidate with a reason."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..applications.services import get_application
from ..centres.services import fill_by_venue
from ..common import confirm as confirmation
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.clock import BANGKOK
from ..common.errors import DomainError, Forbidden
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..exams.models import Sitting
from ..exams.sittings import sitting_for_hr
from ..extensions import db
from ..payments import services as payments
from ..recruitment.services import round_for_hr
from . import availability, bp, consequences, hr, notices, services
from .forms import ChooseSittingForm, HrMoveForm, PlainForm, PolicyForm
from .policy import policy_of, set_policy


def _me():
    return current_user._get_current_object()


def _own(app_id: int):
    application = get_application(app_id)
    if application.candidate_id != current_user.id:
        raise Forbidden(_("This is not your application."))
    return application


def _render(application, status: int = 200, full=None):
    return render_template(
        "booking/mine.html",
        application=application,
        booking=availability.booking_of(application),
        choices=availability.sitting_choices(application),
        refusal=services.booking_refusal(application),
        policy=policy_of(application.round_id),
        needs_payment=payments.needs_payment(application),
        waiting=availability.waiting_lists_of(application),
        accessible=availability.needs_accessible(application),
        full=full,
        form=ChooseSittingForm(),
        plain=PlainForm(),
        consequences=consequences,
    ), status


@bp.route("/applications/<int:app_id>/booking")
@roles_required(Role.CANDIDATE)
def mine(app_id: int):
    return _render(_own(app_id))


def _sitting_from(form) -> Sitting | None:
    value = form.sitting_id.data
    return db.session.get(Sitting, int(value)) if str(value or "").isdigit() else None


def _act(app_id: int, action, success: str):
    application = _own(app_id)
    form = ChooseSittingForm()
    if not form.validate_on_submit():
        flash(_("Choose a sitting."), "error")
        return _render(application, 400)
    sitting = _sitting_from(form)
    return _carry_out(application, lambda: action(application, _me(), sitting), success, sitting)


def _carry_out(application, call, success: str, sitting: Sitting | None = None):
    """Run the candidate's booking action: a refusal is shown on the booking page (with the
    next free sittings when full), success goes back to it with a word."""
    try:
        call()
    except services.SittingFull as full:
        db.session.rollback()
        flash(full.message, "error")
        return _render(application, full.status_code, full=(sitting, full.alternatives))
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _render(application, err.status_code)
    flash(success, "success")
    return redirect(url_for(".mine", app_id=application.id))


@bp.route("/applications/<int:app_id>/booking", methods=["POST"])
@roles_required(Role.CANDIDATE)
def book(app_id: int):
    return _act(app_id, services.book, _("Your seat has been booked."))


@bp.route("/applications/<int:app_id>/booking/move", methods=["POST"])
@roles_required(Role.CANDIDATE)
def move(app_id: int):
    return _act(app_id, services.move, _("Your seat has been moved."))


@bp.route("/applications/<int:app_id>/booking/waitlist", methods=["POST"])
@roles_required(Role.CANDIDATE)
def waitlist(app_id: int):
    return _act(
        app_id,
        services.join_waitlist,
        _("You are on the waiting list. We will email you if a seat comes free."),
    )


def _plain(app_id: int, action, success: str):
    application = _own(app_id)
    if not PlainForm().validate_on_submit():
        return _render(application, 400)
    return _carry_out(application, lambda: action(application, _me()), success)


@bp.route("/applications/<int:app_id>/booking/cancel", methods=["POST"])
@roles_required(Role.CANDIDATE)
def cancel(app_id: int):
    application = _own(app_id)
    booking = services.booking_of(application)
    if booking is not None and PlainForm().validate_on_submit() and not confirmation.confirmed():
        return confirmation.ask(
            title=_("Cancel your seat?"),
            consequence=consequences.cancel_consequence(booking),
            yes_label=_("Yes, cancel my seat"),
            back_url=url_for(".mine", app_id=application.id),
        )
    return _plain(app_id, services.cancel, _("Your seat has been cancelled."))


@bp.route("/applications/<int:app_id>/booking/confirm", methods=["POST"])
@roles_required(Role.CANDIDATE)
def confirm(app_id: int):
    return _plain(app_id, services.confirm, _("Your seat is confirmed."))


# ---- HR ---------------------------------------------------------------------------------------------


def _local(value):
    return value.astimezone(BANGKOK).replace(tzinfo=None) if value else None


@bp.route("/hr/rounds/<int:round_id>/booking", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_round(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    policy = policy_of(round_.id)
    form = PolicyForm()
    status = 200
    if request.method == "GET" and policy is None:
        form.hold_hours.data = current_app.config["BOOKING_DEFAULT_HOLD_HOURS"]
    if request.method == "GET" and policy is not None:
        form.opens_at.data, form.closes_at.data = _local(policy.opens_at), _local(policy.closes_at)
        form.change_cutoff_at.data, form.hold_hours.data = _local(policy.change_cutoff_at), policy.hold_hours
    if form.validate_on_submit():
        try:
            set_policy(round_, _me(), **form.values())
        except DomainError as err:
            status = show_error(form, err)
        else:
            flash(_("The booking window has been saved."), "success")
            return redirect(url_for(".hr_round", round_id=round_.id))
    elif request.method == "POST":
        status = 422
    fills = hr.fill_of_round(round_)
    return render_template(
        "booking/hr_round.html",
        round=round_,
        policy=policy,
        form=form,
        fills=fills,
        venues=fill_by_venue([f.sitting.id for f in fills]),
    ), status


def _render_sitting(sitting, form=None, status: int = 200):
    form = form or HrMoveForm()
    others = []
    if sitting.round_id:
        others = db.session.scalars(
            db.select(Sitting)
            .where(Sitting.round_id == sitting.round_id, Sitting.id != sitting.id)
            .order_by(Sitting.starts_at)
        )
    form.sitting_id.choices = [(s.id, s.title(current_locale())) for s in others]
    return render_template(
        "booking/hr_sitting.html",
        sitting=sitting,
        bookings=hr.bookings_of_sitting(sitting, _me()),
        form=form,
        place_text=notices.place_text,
    ), status


@bp.route("/hr/sittings/<int:sitting_id>/bookings")
@roles_required(*HR_ROLES)
def hr_sitting(sitting_id: int):
    return _render_sitting(sitting_for_hr(sitting_id, current_user))


@bp.route("/hr/bookings/<int:booking_id>/move", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_move(booking_id: int):
    booking = hr.get_booking(booking_id)
    sitting = sitting_for_hr(booking.sitting_id, current_user)
    form = HrMoveForm()
    form.sitting_id.choices = [
        (s.id, "") for s in db.session.scalars(db.select(Sitting).where(Sitting.round_id == sitting.round_id))
    ]
    if not form.validate_on_submit():
        return _render_sitting(sitting, form, 422)
    try:
        services.move(
            booking.application,
            _me(),
            db.session.get(Sitting, form.sitting_id.data),
            reason=form.reason.data,
            by_hr=True,
        )
    except DomainError as err:
        return _render_sitting(sitting, form, show_error(form, err))
    flash(_("The candidate has been moved and told."), "success")
    return redirect(url_for(".hr_sitting", sitting_id=sitting.id))
