"""Fee pages: the candidate's payment slip (page, PDF, QR image); HR's fee of a round, payments
of the agency, the statement import and its result, payments by hand and refunds."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..applications.services import get_application
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError, Forbidden, NotFound
from ..common.forms import show_error
from ..extensions import db
from ..recruitment.services import round_for_hr
from . import bp, services, statements
from .forms import FeeForm, ManualPaymentForm, RefundForm, StatementForm
from .models import PaymentStatus, StatementImport
from .slip_pdf import qr_svg, render_slip


def _me():
    return current_user._get_current_object()


def _own_payment(app_id: int):
    application = get_application(app_id)
    return application, services.open_payment(application, _me())


@bp.route("/applications/<int:app_id>/payment")
@roles_required(Role.CANDIDATE)
def slip(app_id: int):
    application, payment = _own_payment(app_id)
    return render_template("payments/slip.html", data=services.slip(payment), application=application)


@bp.route("/applications/<int:app_id>/payment/slip.pdf")
@roles_required(Role.CANDIDATE)
def slip_pdf(app_id: int):
    _application, payment = _own_payment(app_id)
    return Response(
        render_slip(services.slip(payment)),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="payment-{payment.reference}.pdf"'},
    )


@bp.route("/applications/<int:app_id>/payment/qr.svg")
@roles_required(Role.CANDIDATE)
def slip_qr(app_id: int):
    _application, payment = _own_payment(app_id)
    return Response(qr_svg(services.slip(payment).qr_payload), mimetype="image/svg+xml")


# ---- HR ---------------------------------------------------------------------------------------------


@bp.route("/hr/rounds/<int:round_id>/fee", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_fee(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    fee = services.fee_of(round_)
    form = FeeForm(obj=fee)
    status = 200
    if form.validate_on_submit():
        try:
            services.set_fee(round_, _me(), form.amount.data, form.pay_within_days.data)
        except DomainError as err:
            status = show_error(form, err)
        else:
            flash(_("The round's fee has been saved."), "success")
            return redirect(url_for(".hr_fee", round_id=round_.id))
    elif request.method == "POST":
        status = 422
    return render_template("payments/hr_fee.html", round=round_, fee=fee, form=form), status


def _agency_id() -> int:
    if current_user.agency_id is None:
        abort(403)
    return current_user.agency_id


def _render_payments(form=None, status: int = 200):
    agency_id = _agency_id()
    wanted = request.args.get("status", "")
    return render_template(
        "payments/hr_payments.html",
        payments=services.payments_of_agency(agency_id, wanted if wanted in PaymentStatus.ALL else None),
        imports=statements.imports_of_agency(agency_id),
        form=form or StatementForm(),
        wanted=wanted,
    ), status


@bp.route("/hr/payments")
@roles_required(*HR_ROLES)
def hr_payments():
    return _render_payments()


@bp.route("/hr/payments/import", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_import():
    form = StatementForm()
    if not form.validate_on_submit():
        return _render_payments(form, 422)
    upload = form.file.data
    try:
        result = statements.import_statement(_me(), upload.filename, upload.read())
    except DomainError as err:
        return _render_payments(form, show_error(form, err, {"file": "file"}))
    flash(
        _(
            "%(file)s imported: %(matched)s payments matched, %(other)s lines need a look.",
            file=result.statement.filename,
            matched=result.counts["matched"],
            other=sum(result.counts.values()) - result.counts["matched"],
        ),
        "success",
    )
    return redirect(url_for(".hr_import_result", import_id=result.statement.id))


@bp.route("/hr/payments/imports/<int:import_id>")
@roles_required(*HR_ROLES)
def hr_import_result(import_id: int):
    statement = db.session.get(StatementImport, import_id)
    if statement is None:
        raise NotFound(_("No such import."))
    if statement.agency_id != current_user.agency_id:
        raise Forbidden(_("This belongs to another agency."))
    return render_template(
        "payments/hr_import.html", statement=statement, outcome_label=statements.outcome_label
    )


@bp.route("/hr/payments/<int:payment_id>", methods=["GET"])
@roles_required(*HR_ROLES)
def hr_payment(payment_id: int):
    payment = services.get_payment(payment_id)
    if payment.application.round.agency_id != current_user.agency_id:
        raise Forbidden(_("This belongs to another agency."))
    return _render_payment(payment)


def _render_payment(payment, manual=None, refund=None, status: int = 200):
    refund = refund or RefundForm()
    refund.rule.choices = [(k, services.refund_rule_label(k)) for k in services.REFUND_RULES]
    return render_template(
        "payments/hr_payment.html",
        payment=payment,
        manual_form=manual or ManualPaymentForm(),
        refund_form=refund,
        refund_rule_label=services.refund_rule_label,
    ), status


@bp.route("/hr/payments/<int:payment_id>/paid", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_mark_paid(payment_id: int):
    payment = services.get_payment(payment_id)
    form = ManualPaymentForm()
    if not form.validate_on_submit():
        return _render_payment(payment, manual=form, status=422)
    try:
        services.record_payment_by_hand(payment, _me(), form.reason.data)
    except DomainError as err:
        return _render_payment(payment, manual=form, status=show_error(form, err))
    flash(_("The payment has been recorded."), "success")
    return redirect(url_for(".hr_payment", payment_id=payment.id))


@bp.route("/hr/payments/<int:payment_id>/refund", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_refund(payment_id: int):
    payment = services.get_payment(payment_id)
    form = RefundForm()
    form.rule.choices = [(k, services.refund_rule_label(k)) for k in services.REFUND_RULES]
    if not form.validate_on_submit():
        return _render_payment(payment, refund=form, status=422)
    try:
        services.refund(payment, _me(), form.rule.data, form.note.data)
    except DomainError as err:
        return _render_payment(payment, refund=form, status=show_error(form, err))
    flash(_("The refund has been recorded."), "success")
    return redirect(url_for(".hr_payment", payment_id=payment.id))
