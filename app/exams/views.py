"""Candidate pages of the online test: my sittings, the admission ticket, check-in, the test page
(a shell driven by static/js/exam.js over Socket.IO, see docs/realtime.md) and the result."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..documents.admission_ticket import render_admission_ticket
from ..uploads.responses import private_inline
from . import bp, candidate, certificates, checkin, equating, media, submission, timing
from .forms import CheckInForm


@bp.route("/exams")
@roles_required(Role.CANDIDATE)
def my_sittings():
    return render_template(
        "exams/my_sittings.html", rows=candidate.sitting_rows(current_user), points=candidate.points
    )


@bp.route("/exams/sittings/<int:sitting_id>/ticket.pdf")
@roles_required(Role.CANDIDATE)
def ticket(sitting_id: int):
    seat = candidate.seat_of(current_user, sitting_id)
    data = candidate.admission_ticket(seat, url_for(".check_in", sitting_id=sitting_id, _external=True))
    return Response(
        render_admission_ticket(data),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="admission-ticket-{sitting_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


def _render_check_in(seat, form, code: int = 200):
    return render_template(
        "exams/check_in.html",
        seat=seat,
        sitting=seat.sitting,
        form=form,
        status=candidate.seat_status(seat),
        opens_at=timing.checkin_opens_at(seat.sitting),
        rules=candidate.rules(),
    ), code


@bp.route("/exams/sittings/<int:sitting_id>/check-in", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def check_in(sitting_id: int):
    seat = candidate.seat_of(current_user, sitting_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _render_check_in(seat, form, 422 if request.method == "POST" else 200)
    try:
        checkin.check_in(
            seat,
            current_user,
            national_id_last4=form.national_id_last4.data,
            birth_date=form.birth_date.data,
            accept_rules=form.accept_rules.data,
            system_check=form.system_check(),
        )
    except DomainError as err:
        return _render_check_in(seat, form, show_error(form, err))
    flash(
        _(
            "You have checked in. Your time has not started: the test begins in the waiting "
            "room when you press Start (or when the proctor starts the sitting)."
        ),
        "success",
    )
    return redirect(url_for(".take", sitting_id=sitting_id))


@bp.route("/exams/sittings/<int:sitting_id>/test")
@roles_required(Role.CANDIDATE)
def take(sitting_id: int):
    seat = candidate.seat_of(current_user, sitting_id)
    if seat.attempt is None:
        flash(_("Check in first: the test opens after check-in."), "warning")
        return redirect(url_for(".check_in", sitting_id=sitting_id))
    sitting = seat.sitting
    closes = timing.entry_closes_at(sitting)
    exam_config = {
        "sitting_id": sitting.id,
        "attempt_id": seat.attempt.id,
        "locale": current_locale(),
        "timing_mode": sitting.timing_mode,
        "starts_at": sitting.starts_at.isoformat(),
        "entry_closes_at": closes.isoformat() if closes else None,
        "large_text": seat.large_text,
        "high_contrast": seat.high_contrast,
        "urls": {"result": url_for(".result", sitting_id=sitting.id), "sittings": url_for(".my_sittings")},
    }
    return render_template(
        "exams/take.html", seat=seat, sitting=sitting, exam_config=exam_config, rules=candidate.rules()
    )


@bp.route("/exams/sittings/<int:sitting_id>/result")
@roles_required(Role.CANDIDATE)
def result(sitting_id: int):
    seat = candidate.seat_of(current_user, sitting_id)
    attempt = seat.attempt
    visible = attempt is not None and submission.results_visible(attempt)
    cert = certificates.certificate_of(attempt) if attempt is not None else None
    if cert is not None and certificates.status_of(cert) != certificates.VALID:
        cert = None
    return render_template(
        "exams/result.html",
        seat=seat,
        sitting=seat.sitting,
        attempt=attempt,
        visible=visible,
        certificate=cert,
        sections=candidate.result_sections(attempt, current_locale()) if visible else [],
        points=candidate.points,
        equated=equating.equated_of(attempt) if visible else None,
    )


@bp.route("/exams/media/<int:version_id>/<path:name>")
def item_media(version_id: int, name: str):
    """An image or audio file of an item: to a candidate only while their attempt holding the
    item is in progress, to bank managers and HR always; to anyone else 404."""
    asset = media.asset_for(current_user, version_id, name)
    return private_inline(asset.stored_name, asset.content_type)
