"""HTTP views of the MOU channel: HR records organisations, partner accounts and agreements and
opens rounds under them; partner accounts nominate; nominees answer and then apply."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.labels import education_choices
from ..accounts.models import Role
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.clock import today_bangkok
from ..common.errors import DomainError, Forbidden
from ..common.forms import show_error
from ..recruitment import services as recruitment
from ..recruitment.models import StageKind
from . import agreements, bp, labels, nominations, nominees, organisations, rounds
from .forms import (
    AgreementForm,
    AgreementRoundForm,
    AnswerForm,
    MemberForm,
    NominationForm,
    OrganisationForm,
    TerminateForm,
    WithdrawForm,
)


def _ip() -> str:
    return request.remote_addr or ""


@bp.context_processor
def _labels():
    return {
        "nomination_status_label": labels.nomination_status_label,
        "organisation_kind_label": labels.organisation_kind_label,
        "agreement_status_label": labels.agreement_status_label,
        "stage_label": recruitment.stage_label,
        "round_status_label": recruitment.status_label,
        "places_left": agreements.places_left,
        "places_used": agreements.places_used,
        "in_force": agreements.in_force,
        "application_of": nominees.application_of,
        "next_step": nominees.next_step,
    }


# ---- HR: organisations and agreements --------------------------------------------------------


def _agreement_form(form=None):
    form = form or AgreementForm()
    form.organisation_id.choices = [(o.id, o.name_th) for o in organisations.organisations()]
    form.position_ids.choices = [(p.id, p.title_th) for p in recruitment.positions_of(current_user.agency_id)]
    form.min_education_level.choices = [("", _("No requirement")), *education_choices()]
    form.stages.choices = [(k, recruitment.stage_label(k)) for k in StageKind.ALL]
    return form


def _render_hr(status=200, org_form=None, agreement_form=None):
    agency_id = current_user.agency_id
    return render_template(
        "partners/hr_index.html",
        organisations=organisations.organisations(),
        agreements=agreements.agreements_of_agency(agency_id),
        org_form=org_form or OrganisationForm(formdata=None),
        agreement_form=_agreement_form(agreement_form or AgreementForm(formdata=None)),
        year=agreements.fiscal_year(today_bangkok()),
    ), status


@bp.route("/hr/partners")
@roles_required(*HR_ROLES)
def hr_index():
    return _render_hr()


@bp.route("/hr/partners/organisations", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_create_organisation():
    form = OrganisationForm()
    if not form.validate_on_submit():
        return _render_hr(422, org_form=form)
    try:
        org = organisations.create_organisation(
            current_user, name_th=form.name_th.data, name_en=form.name_en.data or "", kind=form.kind.data
        )
    except DomainError as err:
        return _render_hr(show_error(form, err), org_form=form)
    flash(_("Partner organisation %(name)s recorded.", name=org.name_th), "success")
    return redirect(url_for(".hr_index"))


@bp.route("/hr/partners/agreements", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_create_agreement():
    form = _agreement_form()
    if not form.validate_on_submit():
        return _render_hr(422, agreement_form=form)
    data = agreements.AgreementInput(
        number=form.number.data,
        organisation_id=form.organisation_id.data,
        title_th=form.title_th.data,
        title_en=form.title_en.data or "",
        position_ids=form.position_ids.data or [],
        places_per_year=form.places_per_year.data,
        valid_from=form.valid_from.data,
        valid_until=form.valid_until.data,
        qualifications_th=form.qualifications_th.data or "",
        qualifications_en=form.qualifications_en.data or "",
        min_education_level=form.min_education_level.data or None,
        fields_of_study=form.field_list(),
        stages=form.stages.data or None,
    )
    try:
        agreement = agreements.create_agreement(current_user, data)
    except DomainError as err:
        return _render_hr(show_error(form, err), agreement_form=form)
    flash(_("Agreement %(number)s recorded.", number=agreement.number), "success")
    return redirect(url_for(".hr_agreement", agreement_id=agreement.id))


def _round_form(agreement, form=None):
    form = form or AgreementRoundForm()
    form.position_id.choices = [(p.id, p.title_th) for p in agreement.positions]
    return form


def _render_agreement(agreement, status=200, **forms):
    forms = {
        "round_form": _round_form(agreement, AgreementRoundForm(formdata=None)),
        "member_form": MemberForm(formdata=None),
        "terminate_form": TerminateForm(formdata=None),
        **forms,
    }
    return render_template(
        "partners/hr_agreement.html",
        agreement=agreement,
        rounds=rounds.rounds_of_agreement(agreement),
        nominations=nominations.nominations_of_agreement(agreement),
        members=organisations.members_of(agreement.organisation),
        year=agreements.fiscal_year(today_bangkok()),
        **forms,
    ), status


@bp.route("/hr/agreements/<int:agreement_id>")
@roles_required(*HR_ROLES)
def hr_agreement(agreement_id: int):
    return _render_agreement(agreements.agreement_for_hr(agreement_id, current_user))


@bp.route("/hr/agreements/<int:agreement_id>/rounds", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_open_round(agreement_id: int):
    agreement = agreements.agreement_for_hr(agreement_id, current_user)
    form = _round_form(agreement)
    if not form.validate_on_submit():
        return _render_agreement(agreement, 422, round_form=form)
    try:
        round_ = rounds.open_round(agreement, current_user, form.draft())
    except DomainError as err:
        return _render_agreement(agreement, show_error(form, err), round_form=form)
    flash(
        _(
            "Round %(code)s prepared as a draft under the agreement: check it and open it for nominees.",
            code=round_.code,
        ),
        "success",
    )
    return redirect(url_for("recruitment.hr_round", round_id=round_.id))


@bp.route("/hr/agreements/<int:agreement_id>/members", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_add_member(agreement_id: int):
    agreement = agreements.agreement_for_hr(agreement_id, current_user)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_agreement(agreement, 422, member_form=form)
    try:
        organisations.link_partner_account(agreement.organisation, form.email.data, current_user)
    except DomainError as err:
        return _render_agreement(agreement, show_error(form, err), member_form=form)
    flash(_("The account now acts for %(org)s.", org=agreement.organisation.name_th), "success")
    return redirect(url_for(".hr_agreement", agreement_id=agreement.id))


@bp.route("/hr/agreements/<int:agreement_id>/terminate", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_terminate(agreement_id: int):
    agreement = agreements.agreement_for_hr(agreement_id, current_user)
    form = TerminateForm()
    if not form.validate_on_submit():
        return _render_agreement(agreement, 422, terminate_form=form)
    try:
        agreements.terminate_agreement(agreement, current_user, form.reason.data)
    except DomainError as err:
        return _render_agreement(agreement, show_error(form, err), terminate_form=form)
    flash(_("Agreement %(number)s has ended.", number=agreement.number), "success")
    return redirect(url_for(".hr_agreement", agreement_id=agreement.id))


# ---- partner accounts ------------------------------------------------------------------------


@bp.route("/partner")
@roles_required(Role.PARTNER)
def partner_home():
    org = organisations.organisation_of(current_user)
    if org is None:
        return render_template("partners/partner_home.html", org=None), 403
    return render_template(
        "partners/partner_home.html",
        org=org,
        agreements=agreements.agreements_of_organisation(org),
        rounds=nominations.open_rounds_for_partner(org),
        nominations=nominations.nominations_of_organisation(org),
        withdraw_form_obj=WithdrawForm(formdata=None),
        year=agreements.fiscal_year(today_bangkok()),
    )


def _render_nominate(round_, link, form, status=200):
    return render_template(
        "partners/nominate.html",
        round=round_,
        link=link,
        form=form,
        nominations=list(nominations.nominations_of_round(round_)),
    ), status


def _partner_round(round_id: int):
    """The round, if it was opened under one of the partner's organisation's agreements."""
    round_ = recruitment.get_round(round_id)
    refusal = nominations.nomination_refusal(round_, current_user)
    link = rounds.agreement_round(round_)
    if link is None or isinstance(refusal, Forbidden):
        raise refusal or Forbidden(_("This round was not opened under your organisation's agreement."))
    return round_, link


@bp.route("/partner/rounds/<int:round_id>/nominate", methods=["GET", "POST"])
@roles_required(Role.PARTNER)
def nominate(round_id: int):
    round_, link = _partner_round(round_id)
    form = NominationForm()
    if not form.validate_on_submit():
        return _render_nominate(round_, link, form, 422 if request.method == "POST" else 200)
    nominee = nominations.NomineeInput(
        national_id=form.national_id.data,
        email=form.email.data,
        first_name_th=form.first_name_th.data,
        last_name_th=form.last_name_th.data,
        first_name_en=form.first_name_en.data or "",
        last_name_en=form.last_name_en.data or "",
        statement=form.statement.data or "",
    )
    try:
        nomination = nominations.nominate(
            round_,
            current_user,
            nominee,
            invitation_link=lambda token: url_for(".invitation", token=token, _external=True),
        )
    except DomainError as err:
        return _render_nominate(round_, link, form, show_error(form, err))
    flash(
        _(
            "%(name)s is nominated. An invitation was sent to %(email)s: the nominee completes "
            "the application themselves.",
            name=nomination.full_name(),
            email=nomination.email,
        ),
        "success",
    )
    return redirect(url_for(".nominate", round_id=round_.id))


@bp.route("/partner/nominations/<int:nomination_id>/withdraw", methods=["POST"])
@roles_required(Role.PARTNER)
def withdraw(nomination_id: int):
    nomination = nominations.nomination_for_partner(nomination_id, current_user)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for withdrawing the nomination."), "error")
        return redirect(url_for(".partner_home")), 303
    try:
        nominations.withdraw_nomination(nomination, current_user, form.reason.data)
    except DomainError as err:
        show_error(None, err)
    else:
        flash(
            _(
                "The nomination of %(name)s is withdrawn; its place is free again.",
                name=nomination.full_name(),
            ),
            "success",
        )
    return redirect(url_for(".partner_home"))


# ---- the nominee -----------------------------------------------------------------------------


@bp.route("/nominations/invitation/<token>")
@login_required
def invitation(token: str):
    nomination = nominees.nomination_by_token(token)
    return redirect(url_for(".my_nomination", nomination_id=nomination.id))


@bp.route("/my/nominations")
@roles_required(Role.CANDIDATE)
def my_nominations():
    return render_template("partners/my_nominations.html")


def _render_my_nomination(nomination, form=None, status=200):
    return render_template(
        "partners/my_nomination.html",
        n=nomination,
        form=form or AnswerForm(formdata=None),
        step=nominees.next_step(nomination),
        application=nominees.application_of(nomination),
    ), status


@bp.route("/my/nominations/<int:nomination_id>")
@roles_required(Role.CANDIDATE)
def my_nomination(nomination_id: int):
    return _render_my_nomination(nominees.nomination_for_nominee(nomination_id, current_user))


@bp.route("/my/nominations/<int:nomination_id>/answer", methods=["POST"])
@roles_required(Role.CANDIDATE)
def answer(nomination_id: int):
    nomination = nominees.nomination_for_nominee(nomination_id, current_user)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_my_nomination(nomination, form, 422)
    try:
        if request.form.get("decision") == "decline":
            nominees.decline_nomination(nomination, current_user, form.reason.data or "", _ip())
            flash(_("You declined the nomination."), "success")
            return redirect(url_for(".my_nomination", nomination_id=nomination.id))
        nominees.accept_nomination(nomination, current_user, consent=form.consent.data, ip=_ip())
    except DomainError as err:
        return _render_my_nomination(nomination, form, show_error(form, err))
    flash(_("Nomination accepted. Complete and submit your application now."), "success")
    return redirect(url_for("applications.apply", round_id=nomination.round_id))
