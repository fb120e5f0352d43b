"""HTTP views of recruitment: public announcements, HR's positions and rounds, the rounds API."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..common import confirm
from ..common.access import HR_ROLES, is_hr_of
from ..common.auth import roles_required
from ..common.errors import DomainError, Forbidden
from ..common.forms import show_error
from ..common.i18n import current_locale
from . import bp, eligibility, services
from .forms import (
    BrowseFilterForm,
    PositionForm,
    ResultsDatesForm,
    RoundForm,
    StatusForm,
    WindowForm,
    bangkok_local,
)
from .models import Mode, RoundStatus


def _hr_agency_id() -> int:
    if current_user.agency_id is None:
        abort(403)
    return current_user.agency_id


def _hr():
    return current_user._get_current_object()


# ---- public ------------------------------------------------------------------------------


@bp.route("/rounds")
def browse():
    locale = current_locale()
    form = BrowseFilterForm(agencies=services.open_round_agencies(), locale=locale, formdata=request.args)
    rounds = services.list_open_rounds(agency_id=form.agency_id(), mode=form.mode_value())
    filtered = bool(form.agency_id() or form.mode_value())
    return render_template("recruitment/browse.html", form=form, rounds=rounds, filtered=filtered)


def _candidate_view(round_):
    """What a logged-in candidate sees of their own standing: criteria, application, refusal."""
    if not current_user.is_authenticated or not current_user.has_role(Role.CANDIDATE):
        return None
    user = current_user._get_current_object()
    results = eligibility.check_candidate(round_, user)
    active = services.active_application(round_, user)
    eligible = eligibility.is_eligible(results)
    if active is not None:
        why_not = _("You have already applied to this round (application %(number)s).", number=active.number)
    elif not round_.is_accepting():
        why_not = _("This round is not accepting applications now.")
    elif not eligible:
        why_not = _(
            "You cannot apply because you do not meet every criterion marked ✗ above. "
            "If your details have changed, update your profile."
        )
    else:
        why_not = None
    return {
        "results": results,
        "eligible": eligible,
        "application": active,
        "can_apply": why_not is None,
        "why_not": why_not,
        "apply_url": f"/rounds/{round_.id}/apply",
    }


@bp.route("/rounds/<int:round_id>")
def round_detail(round_id: int):
    round_ = services.visible_round(round_id, current_user)
    return render_template(
        "recruitment/round_detail.html",
        round=round_,
        mine=_candidate_view(round_),
        is_hr=is_hr_of(current_user, round_.agency_id),
    )


# ---- HR: positions -----------------------------------------------------------------------


@bp.route("/hr/positions", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_positions():
    agency_id = _hr_agency_id()
    form = PositionForm()
    if form.validate_on_submit():
        try:
            position = services.create_position(agency_id, _hr(), **form.values())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("The position %(title)s has been created.", title=position.title_th), "success")
            return redirect(url_for("recruitment.hr_positions"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "recruitment/hr_positions.html", form=form, positions=services.positions_of(agency_id)
    ), status


# ---- HR: rounds --------------------------------------------------------------------------


@bp.route("/hr/rounds")
@roles_required(*HR_ROLES)
def hr_rounds():
    rounds = services.rounds_of_agency(_hr_agency_id())
    counts = services.application_counts([r.id for r in rounds])
    return render_template("recruitment/hr_rounds.html", rounds=rounds, counts=counts)


def _round_form(agency_id: int) -> RoundForm:
    return RoundForm(positions=services.positions_of(agency_id))


@bp.route("/hr/rounds/new", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_round_new():
    agency_id = _hr_agency_id()
    form = _round_form(agency_id)
    if request.method == "GET":
        mode = request.args.get("mode")
        form.mode.data = mode if mode in Mode.ALL else Mode.COMPETITIVE_EXAM
        form.fill_stages(services.default_stages(form.mode.data))
    if form.validate_on_submit():
        try:
            round_ = services.create_round(agency_id, _hr(), form.values(), form.stages())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("The round %(code)s has been saved as a draft.", code=round_.code), "success")
            return redirect(url_for("recruitment.hr_round", round_id=round_.id))
    status = 422 if request.method == "POST" else 200
    return render_template("recruitment/hr_round_form.html", form=form, round=None, modes=Mode.ALL), status


@bp.route("/hr/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_round_edit(round_id: int):
    round_ = services.round_for_hr(round_id, current_user)
    refusal = services.edit_refusal(round_)
    if refusal:
        flash(refusal.message, "error")
        if request.method == "GET":
            return redirect(url_for("recruitment.hr_round", round_id=round_.id))
        return _render_hr_round(round_, status=refusal.status_code)
    form = _round_form(round_.agency_id)
    if request.method == "GET":
        form.fill_from_round(round_)
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.update_round(round_, _hr(), form.values(), form.stages())
        except DomainError as err:
            show_error(form, err)
            status = err.status_code
        else:
            flash(_("The round %(code)s has been saved.", code=round_.code), "success")
            return redirect(url_for("recruitment.hr_round", round_id=round_.id))
    return render_template("recruitment/hr_round_form.html", form=form, round=round_, modes=Mode.ALL), status


def _render_hr_round(round_, window_form=None, status: int = 200, results_form=None):
    window_form = window_form or WindowForm(formdata=None)
    if results_form is None:
        results_form = ResultsDatesForm(round_, formdata=None)
        results_form.fill(round_)
    if window_form.closes_at.data is None:
        window_form.closes_at.data = bangkok_local(round_.closes_at)
    transitions = [s for s in RoundStatus.ALL if s in services.TRANSITIONS.get(round_.status, ())]
    counts = services.application_counts([round_.id])[round_.id]
    return render_template(
        "recruitment/hr_round.html",
        round=round_,
        transitions=transitions,
        consequences={t: services.status_consequence(round_, t) for t in transitions},
        status_form=StatusForm(formdata=None),
        window_form=window_form,
        results_form=results_form,
        counts=counts,
        applications_url=f"/hr/rounds/{round_.id}/applications",
        can_edit=round_.status in services.EDITABLE_STATES,
    ), status


@bp.route("/hr/rounds/<int:round_id>")
@roles_required(*HR_ROLES)
def hr_round(round_id: int):
    return _render_hr_round(services.round_for_hr(round_id, current_user))


@bp.route("/hr/rounds/<int:round_id>/status", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_round_status(round_id: int):
    round_ = services.round_for_hr(round_id, current_user)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose what to do with the round."), "error")
        return _render_hr_round(round_, status=422)
    consequence = services.status_consequence(round_, form.status.data)
    allowed = form.status.data in services.TRANSITIONS.get(round_.status, ())
    if consequence and allowed and not confirm.confirmed():
        return confirm.ask(
            title=_("Make the round %(status)s?", status=services.status_label(form.status.data)),
            consequence=consequence,
            yes_label=_("Yes, make it %(status)s", status=services.status_label(form.status.data)),
            back_url=url_for("recruitment.hr_round", round_id=round_.id),
        )
    try:
        services.change_status(round_, _hr(), form.status.data, form.note.data or "")
    except DomainError as err:
        show_error(None, err)
        return _render_hr_round(services.get_round(round_id), status=err.status_code)
    flash(_("The round is now %(status)s.", status=services.status_label(round_.status)), "success")
    return redirect(url_for("recruitment.hr_round", round_id=round_.id))


@bp.route("/hr/rounds/<int:round_id>/window", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_round_window(round_id: int):
    round_ = services.round_for_hr(round_id, current_user)
    form = WindowForm()
    if form.validate_on_submit():
        try:
            services.extend_window(round_, _hr(), form.closes_at.data, form.reason.data)
        except DomainError as err:
            show_error(form, err)
            return _render_hr_round(services.get_round(round_id), form, status=err.status_code)
        flash(_("The closing date has been moved."), "success")
        return redirect(url_for("recruitment.hr_round", round_id=round_.id))
    return _render_hr_round(round_, form, status=422)


@bp.route("/hr/rounds/<int:round_id>/results-dates", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_round_results_dates(round_id: int):
    round_ = services.round_for_hr(round_id, current_user)
    form = ResultsDatesForm(round_)
    if form.validate_on_submit():
        try:
            services.announce_results_dates(round_, _hr(), form.dates(), form.reason.data)
        except DomainError as err:
            show_error(form, err)
            return _render_hr_round(services.get_round(round_id), results_form=form, status=err.status_code)
        flash(_("The results dates have been announced to the candidates."), "success")
        return redirect(url_for("recruitment.hr_round", round_id=round_.id))
    return _render_hr_round(round_, results_form=form, status=422)


# ---- JSON API ----------------------------------------------------------------------------


def _num(value):
    return float(value) if value is not None else None


def _round_summary(round_) -> dict:
    return {
        "id": round_.id,
        "code": round_.code,
        "title_th": round_.title_th,
        "title_en": round_.title_en,
        "agency": {
            "code": round_.agency.code,
            "name_th": round_.agency.name_th,
            "name_en": round_.agency.name_en,
        },
        "mode": round_.mode,
        "status": round_.status,
        "vacancies": round_.vacancies,
        "opens_at": round_.opens_at.isoformat(),
        "closes_at": round_.closes_at.isoformat(),
        "accepting": round_.is_accepting(),
    }


@bp.route("/api/rounds")
def api_rounds():
    return jsonify({"ok": True, "rounds": [_round_summary(r) for r in services.list_open_rounds()]})


@bp.route("/api/rounds/<int:round_id>")
def api_round(round_id: int):
    round_ = services.public_round(round_id)
    position = round_.position
    data = _round_summary(round_) | {
        "description_th": round_.description_th,
        "description_en": round_.description_en,
        "position": {
            "id": position.id,
            "title_th": position.title_th,
            "title_en": position.title_en,
            "level": position.level,
            "qualifications_th": position.qualifications_th,
            "qualifications_en": position.qualifications_en,
        },
        "eligible_headcount": round_.eligible_headcount,
        "quota_percent": _num(round_.quota_percent),
        "criteria": {
            "min_education_level": round_.min_education_level,
            "fields_of_study": list(round_.fields_of_study or []),
            "min_gpa": _num(round_.min_gpa),
            "min_age": round_.min_age,
            "max_age": round_.max_age,
            "min_service_years": round_.min_service_years,
            "requires_disability_registration": round_.requires_disability_registration,
            "shortage_degrees": list(round_.shortage_degrees or []),
        },
        "accommodations_offered": list(round_.accommodations_offered or []),
        "stages": [
            {
                "kind": s.kind,
                "seq": s.seq,
                "max_score": _num(s.max_score),
                "weight": _num(s.weight),
                "pass_percent": _num(s.pass_percent),
                "pass_score": _num(s.pass_score),
                "counts_for_ranking": s.counts_for_ranking,
            }
            for s in round_.stages
        ],
    }
    return jsonify({"ok": True, "round": data})


@bp.route("/api/rounds/<int:round_id>/eligibility")
def api_round_eligibility(round_id: int):
    if not current_user.is_authenticated:
        return jsonify(
            {"ok": False, "error": "unauthorized", "message": _("Log in to use this service.")}
        ), 401
    round_ = services.public_round(round_id)
    if not current_user.has_role(Role.CANDIDATE):
        raise Forbidden(_("Only candidate accounts have an eligibility to check."))
    results = eligibility.check_candidate(round_, current_user._get_current_object())
    return jsonify(
        {
            "ok": True,
            "round_id": round_.id,
            "eligible": eligibility.is_eligible(results),
            "accepting": round_.is_accepting(),
            "criteria": [c.to_dict() | {"text": eligibility.describe(c)} for c in results],
        }
    )
