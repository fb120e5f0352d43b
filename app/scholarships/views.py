"""HTTP views of the scholarship channel: HR records contracts, opens placement rounds, appoints
scholars and records departures; the scholar sees the contract and the next step."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..agencies.services import list_agencies
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.clock import today_bangkok
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..common.thai import format_date
from ..recruitment import services as recruitment
from . import bp, services
from .forms import AppointForm, ContractForm, DepartureForm, PlacementRoundForm


@bp.context_processor
def _labels():
    return {
        "contract_status_label": services.contract_status_label,
        "months_label": services.months_label,
        "obligation": services.obligation,
        "round_status_label": recruitment.status_label,
    }


def _round_form(form=None):
    form = form or PlacementRoundForm()
    form.position_id.choices = [(p.id, p.title_th) for p in recruitment.positions_of(current_user.agency_id)]
    return form


def _render_index(status=200, contract_form=None, round_form=None):
    return render_template(
        "scholarships/hr_index.html",
        contracts=services.contracts_of_agency(current_user.agency_id),
        rounds=services.placement_rounds_of_agency(current_user.agency_id),
        contract_form=contract_form or ContractForm(formdata=None),
        round_form=_round_form(round_form or PlacementRoundForm(formdata=None)),
        multiplier=services.service_multiplier(),
    ), status


@bp.route("/hr/scholarships")
@roles_required(*HR_ROLES)
def hr_index():
    return _render_index()


@bp.route("/hr/scholarships/contracts", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_record_contract():
    form = ContractForm()
    if not form.validate_on_submit():
        return _render_index(422, contract_form=form)
    data = services.ContractInput(
        **{
            name: form[name].data
            for name in (
                "number",
                "national_id",
                "email",
                "first_name_th",
                "last_name_th",
                "field_of_study",
                "institution",
                "study_start",
                "expected_graduation",
                "years_funded",
                "years_owed",
                "degree",
                "first_name_en",
                "last_name_en",
            )
        }
    )
    try:
        contract = services.record_contract(current_user, data)
    except DomainError as err:
        return _render_index(show_error(form, err), contract_form=form)
    flash(
        _(
            "Contract %(number)s recorded: %(years)s years of service owed.",
            number=contract.number,
            years=contract.years_owed,
        ),
        "success",
    )
    return redirect(url_for(".hr_contract", contract_id=contract.id))


@bp.route("/hr/scholarships/rounds", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_open_round():
    form = _round_form()
    if not form.validate_on_submit():
        return _render_index(422, round_form=form)
    try:
        round_ = services.open_placement_round(current_user, form.draft(), form.field_list())
    except DomainError as err:
        return _render_index(show_error(form, err), round_form=form)
    flash(
        _("Placement round %(code)s prepared as a draft: check it and open it.", code=round_.code), "success"
    )
    return redirect(url_for("recruitment.hr_round", round_id=round_.id))


def _appoint_form(form=None):
    form = form or AppointForm()
    form.agency_id.choices = [(a.id, a.name(current_locale())) for a in list_agencies(active_only=True)]
    return form


def _render_contract(contract, status=200, **forms):
    appoint_form = _appoint_form(forms.pop("appoint_form", None) or AppointForm(formdata=None))
    if appoint_form.agency_id.data is None:
        appoint_form.agency_id.data = contract.agency_id
    return render_template(
        "scholarships/hr_contract.html",
        c=contract,
        ob=services.obligation(contract),
        placed=services.placement_entry(contract),
        appoint_form=appoint_form,
        departure_form=forms.pop("departure_form", None) or DepartureForm(formdata=None),
        today=today_bangkok(),
    ), status


@bp.route("/hr/scholarships/<int:contract_id>")
@roles_required(*HR_ROLES)
def hr_contract(contract_id: int):
    return _render_contract(services.contract_for_hr(contract_id, current_user))


@bp.route("/hr/scholarships/<int:contract_id>/appoint", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_appoint(contract_id: int):
    contract = services.contract_for_hr(contract_id, current_user)
    form = _appoint_form()
    if not form.validate_on_submit():
        return _render_contract(contract, 422, appoint_form=form)
    try:
        services.appoint(
            contract,
            current_user,
            agency_id=form.agency_id.data,
            on=form.on.data,
            reason=form.reason.data or "",
        )
    except DomainError as err:
        return _render_contract(contract, show_error(form, err), appoint_form=form)
    flash(
        _(
            "Appointment recorded: the service obligation runs from %(date)s.",
            date=format_date(contract.appointed_on, current_locale()),
        ),
        "success",
    )
    return redirect(url_for(".hr_contract", contract_id=contract.id))


@bp.route("/hr/scholarships/<int:contract_id>/departure", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_departure(contract_id: int):
    contract = services.contract_for_hr(contract_id, current_user)
    form = DepartureForm()
    if not form.validate_on_submit():
        return _render_contract(contract, 422, departure_form=form)
    try:
        services.record_departure(contract, current_user, on=form.on.data, reason=form.reason.data)
    except DomainError as err:
        return _render_contract(contract, show_error(form, err), departure_form=form)
    if contract.repayment_flagged:
        flash(
            _(
                "Departure recorded before the end of the obligation: the contract is flagged "
                "for the repayment rule."
            ),
            "warning",
        )
    else:
        flash(_("Departure recorded: the obligation was served in full."), "success")
    return redirect(url_for(".hr_contract", contract_id=contract.id))


@bp.route("/my/scholarship")
@roles_required(Role.CANDIDATE)
def mine():
    contract = services.contract_of_person(current_user)
    return render_template(
        "scholarships/mine.html",
        c=contract,
        ob=services.obligation(contract) if contract else None,
        rounds=services.open_placement_rounds(),
    )
