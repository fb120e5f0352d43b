"""HR's page of an exam's psychometrics: the bank's calibration (recalibrate), the exam's
parallel forms and how far they differ (assemble), and its tolerance."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..extensions import db
from . import bp, calibration, parallel_forms
from .calibration_forms import AssembleForm, CalibrateForm, ToleranceForm
from .models import Exam


def _exam(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    return exam


def _render(exam: Exam, calibrate_form=None, assemble_form=None, tolerance_form=None, status: int = 200):
    run = calibration.latest_run(exam.bank)
    rows = calibration.item_parameters(exam.bank, run)
    tolerance_form = tolerance_form or ToleranceForm(formdata=None, tolerance=exam.form_tolerance)
    return render_template(
        "exams/hr_exam_forms.html",
        exam=exam,
        run=run,
        rows=rows,
        form_set=parallel_forms.current_form_set(exam),
        report=parallel_forms.form_report(exam),
        refusal=parallel_forms.opening_refusal(exam),
        tolerance=parallel_forms.tolerance_of(exam),
        calibrate_form=calibrate_form or CalibrateForm(formdata=None),
        assemble_form=assemble_form or AssembleForm(formdata=None),
        tolerance_form=tolerance_form,
    ), status


@bp.route("/hr/exams/<int:exam_id>/forms")
@roles_required(*HR_ROLES)
def hr_exam_forms(exam_id: int):
    return _render(_exam(exam_id))


@bp.route("/hr/exams/<int:exam_id>/calibrate", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_calibrate(exam_id: int):
    exam = _exam(exam_id)
    form = CalibrateForm()
    if not form.validate_on_submit():
        return _render(exam, calibrate_form=form, status=422)
    try:
        run = calibration.calibrate_bank(
            exam.bank,
            current_user._get_current_object(),
            model=form.model.data or None,
            reason=form.reason.data,
        )
    except DomainError as err:
        return _render(exam, calibrate_form=form, status=show_error(form, err))
    flash(_("Bank %(bank)s calibrated (run %(id)s).", bank=exam.bank, id=run.id), "success")
    return redirect(url_for("exams.hr_exam_forms", exam_id=exam.id))


@bp.route("/hr/exams/<int:exam_id>/assemble", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_assemble_forms(exam_id: int):
    exam = _exam(exam_id)
    form = AssembleForm()
    if not form.validate_on_submit():
        return _render(exam, assemble_form=form, status=422)
    try:
        parallel_forms.assemble_exam_forms(
            exam, current_user._get_current_object(), form.forms.data, reason=form.reason.data
        )
    except DomainError as err:
        return _render(exam, assemble_form=form, status=show_error(form, err))
    flash(_("%(n)s parallel forms assembled.", n=form.forms.data), "success")
    return redirect(url_for("exams.hr_exam_forms", exam_id=exam.id))


@bp.route("/hr/exams/<int:exam_id>/tolerance", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_form_tolerance(exam_id: int):
    exam = _exam(exam_id)
    form = ToleranceForm()
    if not form.validate_on_submit():
        return _render(exam, tolerance_form=form, status=422)
    value = float(form.tolerance.data) if form.tolerance.data is not None else None
    try:
        parallel_forms.set_tolerance(exam, current_user._get_current_object(), value, form.reason.data)
    except DomainError as err:
        return _render(exam, tolerance_form=form, status=show_error(form, err))
    flash(_("The tolerance has been saved."), "success")
    return redirect(url_for("exams.hr_exam_forms", exam_id=exam.id))
