"""HR's page of an exam's psychometrics: the bank's calibration (recalibrate), the exam's
parallel forms and how far they differ (assemble), its tolerance, the bank's enemy items, and
its scores equated to the reference form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..extensions import db
from . import bp, calibration, equating, parallel_forms
from .calibration_forms import AssembleForm, CalibrateForm, EnemyForm, EquateForm, ToleranceForm
from .models import Exam


def _exam(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    return exam


def _render(
    exam: Exam,
    calibrate_form=None,
    assemble_form=None,
    tolerance_form=None,
    status: int = 200,
    enemy_form=None,
    equate_form=None,
):
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
        enemies=parallel_forms.enemies_of(exam.bank),
        enemy_form=enemy_form or EnemyForm(formdata=None),
        remove_form=EnemyForm(formdata=None, prefix="remove"),
        equate_form=equate_form or EquateForm(formdata=None),
        not_equated=equating.why_not_equated(exam),
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


@bp.route("/hr/exams/<int:exam_id>/enemies", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_exam_enemies(exam_id: int):
    """Mark two items of the exam's bank as enemies (prefix "enemy") or unmark a pair ("remove")."""
    exam = _exam(exam_id)
    remove = "remove-code_a" in request.form
    form = EnemyForm(prefix="remove" if remove else "enemy")
    if not form.validate_on_submit():
        return _render(exam, enemy_form=form, status=422)
    try:
        changed = parallel_forms.set_enemies(
            exam.bank,
            form.code_a.data,
            form.code_b.data,
            current_user._get_current_object(),
            remove=remove,
            reason=form.reason.data,
        )
    except DomainError as err:
        return _render(exam, enemy_form=form, status=show_error(form, err))
    pair = f"{form.code_a.data} – {form.code_b.data}"
    if not changed:
        flash(_("Nothing to change: %(pair)s.", pair=pair), "warning")
    elif remove:
        flash(_("Items %(pair)s are no longer enemies.", pair=pair), "success")
    else:
        flash(
            _("Items %(pair)s are now enemies: never on one form. Assemble the forms again.", pair=pair),
            "success",
        )
    return redirect(url_for("exams.hr_exam_forms", exam_id=exam.id) + "#enemies-heading")


@bp.route("/hr/exams/<int:exam_id>/equate", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_equate_scores(exam_id: int):
    exam = _exam(exam_id)
    form = EquateForm()
    if not form.validate_on_submit():
        return _render(exam, equate_form=form, status=422)
    try:
        result = equating.equate_exam_scores(exam, current_user._get_current_object(), form.reason.data)
    except DomainError as err:
        return _render(exam, equate_form=form, status=show_error(form, err))
    flash(
        _(
            "%(n)s scores equated to form 1 with calibration run %(run)s; %(skipped)s not equated "
            "(an item without parameters, or a form of another length).",
            n=result.equated,
            run=result.run.id,
            skipped=sum(result.skipped.values()),
        ),
        "success",
    )
    return redirect(url_for("exams.hr_exam_forms", exam_id=exam.id) + "#equating-heading")
