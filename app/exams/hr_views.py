"""HR and proctor pages of the online test: sittings, seating, the live dashboard, results,
and the public verification of Part A certificates."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import Role, User
from ..common import confirm
from ..common.access import HR_ROLES, is_hr_of
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..extensions import db, limiter
from ..recruitment.models import Round
from . import analysis, bp, certificates, equating, proctoring, sittings, submission, timing
from . import charts as exam_charts
from .hr_forms import (
    NO_ROUND,
    AssignProctorForm,
    IssueCertificatesForm,
    SeatCandidateForm,
    SeatRoundForm,
    SittingForm,
    UnassignProctorForm,
    VerifyForm,
)
from .models import Exam


def _me():
    return current_user._get_current_object()


# ---- HR: sittings ------------------------------------------------------------------------


@bp.route("/hr/sittings")
@roles_required(*HR_ROLES)
def hr_sittings():
    if current_user.agency_id is None:
        abort(403)
    return render_template(
        "exams/hr_sittings.html", sittings=sittings.sittings_of_agency(current_user.agency_id)
    )


@bp.route("/hr/sittings/new", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_sitting_new():
    if current_user.agency_id is None:
        abort(403)
    locale = current_locale()
    form = SittingForm(
        exams=sittings.exams_for_scheduling(),
        rounds=sittings.rounds_for_scheduling(current_user.agency_id),
        locale=locale,
    )
    if request.method == "GET" and request.args.get("round_id", "").isdigit():
        form.round_id.data = int(request.args["round_id"])
    if form.validate_on_submit():
        exam = db.session.get(Exam, form.exam_id.data)
        round_ = db.session.get(Round, form.round_id.data) if form.round_id.data != NO_ROUND else None
        try:
            sitting = sittings.schedule_sitting(_me(), round_, exam, **form.values())
        except DomainError as err:
            return _render_new(form, show_error(form, err))
        flash(_("The sitting %(title)s has been scheduled.", title=sitting.title(locale)), "success")
        return redirect(url_for("exams.hr_sitting", sitting_id=sitting.id))
    return _render_new(form, 422 if request.method == "POST" else 200)


def _render_new(form, status: int):
    return render_template("exams/hr_sitting_form.html", form=form), status


def _render_sitting(sitting, seat_form=None, one_form=None, proctor_form=None, status: int = 200):
    return render_template(
        "exams/hr_sitting.html",
        sitting=sitting,
        seats=sittings.seats_of(sitting),
        seat_form=seat_form or SeatRoundForm(formdata=None),
        one_form=one_form or SeatCandidateForm(formdata=None),
        proctors=sittings.proctors_of(sitting),
        proctor_form=proctor_form or AssignProctorForm(sittings.assignable_proctors(sitting), formdata=None),
        unassign_form=UnassignProctorForm(formdata=None),
        checkin_opens=timing.checkin_opens_at(sitting),
        entry_closes=timing.entry_closes_at(sitting),
    ), status


@bp.route("/hr/sittings/<int:sitting_id>")
@roles_required(*HR_ROLES)
def hr_sitting(sitting_id: int):
    return _render_sitting(sittings.sitting_for_hr(sitting_id, current_user))


@bp.route("/hr/sittings/<int:sitting_id>/seat-round", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_seat_round(sitting_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    form = SeatRoundForm()
    if not form.validate_on_submit():
        return _render_sitting(sitting, seat_form=form, status=422)
    try:
        result = sittings.seat_round_candidates(
            sitting, _me(), form.room_prefix.data or "", form.seats_per_room.data
        )
    except DomainError as err:
        return _render_sitting(sitting, seat_form=form, status=show_error(form, err))
    if result.seated:
        flash(
            _(
                "%(n)s candidates seated in %(rooms)s rooms (%(already)s were already seated).",
                n=result.seated,
                rooms=len(result.rooms),
                already=result.already_seated,
            ),
            "success",
        )
    if result.exempt:
        flash(
            _("%(n)s applicants hold a valid Part A certificate and need no seat.", n=result.exempt),
            "success",
        )
    if result.unpaid:
        flash(
            _("%(n)s approved applicants have not paid the fee yet and were not seated.", n=result.unpaid),
            "warning",
        )
    if not result.seated and not result.exempt:
        flash(_("Nobody new to seat: every approved applicant already has a seat."), "warning")
    return redirect(url_for("exams.hr_sitting", sitting_id=sitting.id))


@bp.route("/hr/sittings/<int:sitting_id>/seats", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_seat_candidate(sitting_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    form = SeatCandidateForm()
    if not form.validate_on_submit():
        return _render_sitting(sitting, one_form=form, status=422)
    try:
        seat = sittings.seat_candidate(sitting, _me(), form.national_id.data, form.room.data, form.seat.data)
    except DomainError as err:
        return _render_sitting(sitting, one_form=form, status=show_error(form, err))
    flash(
        _(
            "%(name)s has been seated in room %(room)s, seat %(seat)s.",
            name=seat.candidate.full_name_th,
            room=seat.room,
            seat=seat.seat_number,
        ),
        "success",
    )
    return redirect(url_for("exams.hr_sitting", sitting_id=sitting.id))


@bp.route("/hr/sittings/<int:sitting_id>/proctors", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_assign_proctor(sitting_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    form = AssignProctorForm(sittings.assignable_proctors(sitting))
    if not form.validate_on_submit():
        return _render_sitting(sitting, proctor_form=form, status=422)
    try:
        row = sittings.assign_proctor(sitting, _me(), db.session.get(User, form.user_id.data))
    except DomainError as err:
        return _render_sitting(sitting, proctor_form=form, status=show_error(form, err))
    flash(_("%(name)s now proctors this sitting.", name=row.user.full_name_th), "success")
    return redirect(url_for("exams.hr_sitting", sitting_id=sitting.id) + "#proctors-heading")


@bp.route("/hr/sittings/<int:sitting_id>/proctors/<int:user_id>/remove", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_unassign_proctor(sitting_id: int, user_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    if not UnassignProctorForm().validate_on_submit():
        abort(400)
    try:
        sittings.unassign_proctor(sitting, _me(), user_id)
    except DomainError as err:
        return _render_sitting(sitting, status=show_error(None, err))
    flash(_("The proctor no longer proctors this sitting."), "success")
    return redirect(url_for("exams.hr_sitting", sitting_id=sitting.id) + "#proctors-heading")


# ---- proctor dashboard -------------------------------------------------------------------


@bp.route("/proctor/sittings/<int:sitting_id>")
@login_required
def proctor(sitting_id: int):
    sitting = sittings.get_sitting(sitting_id)
    if not proctoring.can_proctor(current_user, sitting):
        abort(403)
    return render_template(
        "exams/proctor_sitting.html",
        sitting=sitting,
        rows=proctoring.candidate_rows(sitting),
        states={c: sittings.state_label(c) for c in sittings.LIVE_STATES},
        statuses={c: sittings.sitting_status_label(c) for c in sittings.SITTING_STATUS_LABELS},
        is_hr=is_hr_of(current_user, sitting.agency_id),
    )


# ---- HR: results -------------------------------------------------------------------------


@bp.route("/hr/sittings/<int:sitting_id>/results")
@roles_required(*HR_ROLES)
def hr_results(sitting_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    rows = analysis.result_rows(sitting)
    items = analysis.item_analysis(sitting)
    # The choices of one item at a time: the one asked for, else the first marked for review.
    asked = request.args.get("item", type=int)
    shown = next((it for it in items if it.info.version_id == asked), None) or next(
        (it for it in items if it.review), items[0] if items else None
    )
    return render_template(
        "exams/hr_results.html",
        sitting=sitting,
        rows=rows,
        summary=analysis.summary(rows),
        sections=analysis.section_codes(sitting),
        items=items,
        score_chart=exam_charts.score_distribution(sitting, rows),
        item_chart=exam_charts.facility_discrimination(items),
        shown_item=shown,
        choice_chart=exam_charts.choice_counts(shown) if shown else None,
        certs=certificates.certificates_of_sitting(sitting),
        issue_form=IssueCertificatesForm(formdata=None),
        publish_consequence=submission.publish_consequence(sitting, sum(1 for r in rows if r.submitted)),
        equated=equating.current_equated(r.attempt.id for r in rows if r.attempt is not None),
        not_equated=equating.why_not_equated(sitting.exam),
    )


@bp.route("/hr/sittings/<int:sitting_id>/results.csv")
@roles_required(*HR_ROLES)
def hr_results_csv(sitting_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    body = analysis.results_csv(sitting, certificates.certificates_of_sitting(sitting))
    # The byte order mark makes Excel read the file as UTF-8 (Thai names intact).
    return Response(
        "\ufeff" + body,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="sitting-{sitting.id}-results.csv"'},
    )


@bp.route("/hr/sittings/<int:sitting_id>/publish", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_publish_results(sitting_id: int):
    sitting = sittings.sitting_for_hr(sitting_id, current_user)
    form = IssueCertificatesForm()
    if not form.validate_on_submit():
        abort(400)
    if not confirm.confirmed():
        submitted = sum(1 for r in analysis.result_rows(sitting) if r.submitted)
        return confirm.ask(
            title=_("Publish the results of %(sitting)s?", sitting=sitting.title(current_locale())),
            consequence=submission.publish_consequence(sitting, submitted),
            yes_label=_("Yes, publish the results"),
            back_url=url_for("exams.hr_results", sitting_id=sitting.id),
        )
    try:
        submission.publish_results(sitting, _me())
        issued = certificates.issue_for_sitting(sitting, _me()) if sitting.exam.is_part_a else []
    except DomainError as err:
        show_error(None, err)
    else:
        flash(_("The results are published; %(n)s pass certificates are issued.", n=len(issued)), "success")
    return redirect(url_for("exams.hr_results", sitting_id=sitting.id))


# ---- certificates ------------------------------------------------------------------------


@bp.route("/verify")
def verify_form():
    form = VerifyForm(formdata=request.args if request.args.get("code") else None)
    if request.args.get("code") and form.validate():
        return redirect(url_for("exams.verify", code=form.code.data))
    return render_template("exams/verify.html", form=form, result=None)


@bp.route("/verify/<code>")
@limiter.limit("60 per minute")
def verify(code: str):
    result = certificates.verify(code)
    return render_template("exams/verify.html", form=VerifyForm(formdata=None), result=result, code=code)


@bp.route("/exams/certificates/<code>.pdf")
@login_required
def certificate_pdf(code: str):
    cert = certificates.get_by_code(code)
    if not certificates.can_download(current_user, cert):
        abort(403)
    if cert.revoked_at is not None:
        abort(409, _("This certificate has been revoked."))
    pdf = certificates.render_pdf(cert, url_for("exams.verify", code=cert.code, _external=True))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="part-a-certificate-{cert.code}.pdf"'},
    )


# ---- proctors: the sittings they are assigned to ----------------------------------------------


@bp.route("/proctor/sittings")
@roles_required(Role.PROCTOR, *HR_ROLES)
def proctor_sittings():
    if current_user.agency_id is None:
        abort(403)
    return render_template(
        "exams/proctor_sittings.html", sittings=proctoring.sittings_to_proctor(current_user)
    )
