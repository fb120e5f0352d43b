"""Pages of calling candidates and list use: the candidate's offers (/offers), the owner
agency's calls from a list (/hr/lists/<id>/offers) and another agency's list use (/hr/list-use).

Lookups that refuse (another agency's list, someone else's offer) raise DomainErrors, which the
app's error handler turns into a 403/404 page.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..accounts.models import Role
from ..common import confirm
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError, Forbidden
from ..common.forms import show_error
from ..common.i18n import current_locale
from . import bp, labels, list_use, offers
from .offer_forms import (
    CallNextForm,
    DecideUseForm,
    ListFilterForm,
    UseCallForm,
    UseRequestForm,
    WaiveOfferForm,
    accept_form,
    accept_uploads,
)


def _me():
    return current_user._get_current_object()


def _ip() -> str:
    return request.remote_addr or ""


def _hr_agency_id() -> int:
    if current_user.agency_id is None:
        raise Forbidden(_("Your account is not attached to an agency."))
    return current_user.agency_id


# ---- candidate: my offers -------------------------------------------------------------------


def _render_mine(status: int = 200, bound: dict | None = None):
    bound = bound or {}
    rows = []
    for offer in offers.offers_of_candidate(_me()):
        respond = offers.can_respond(offer)
        rows.append(
            {
                "offer": offer,
                "can_respond": respond,
                "accept": bound.get(("accept", offer.id))
                or (accept_form(offer, formdata=None) if respond else None),
                "waive": bound.get(("waive", offer.id))
                or (WaiveOfferForm.for_offer(offer, formdata=None) if respond else None),
            }
        )
    return render_template("merit/offer_mine.html", rows=rows), status


@bp.route("/offers")
@roles_required(Role.CANDIDATE)
def offers_mine():
    return _render_mine()


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@roles_required(Role.CANDIDATE)
def offers_accept(offer_id: int):
    offer = offers.offer_for_candidate(offer_id, _me())
    form = accept_form(offer)
    if not form.validate_on_submit():
        return _render_mine(422, {("accept", offer.id): form})
    try:
        offers.accept_offer(offer, _me(), form.start_date.data, accept_uploads(form, offer), ip=_ip())
    except DomainError as err:
        code = show_error(form, err)
        return _render_mine(code, {("accept", offer.id): form})
    flash(
        _(
            "You have reported in for %(position)s at %(agency)s. Welcome!",
            position=offer.position.title(current_locale()),
            agency=offer.agency.name(current_locale()),
        ),
        "success",
    )
    return redirect(url_for(".offers_mine"))


@bp.route("/offers/<int:offer_id>/waive", methods=["POST"])
@roles_required(Role.CANDIDATE)
def offers_waive(offer_id: int):
    offer = offers.offer_for_candidate(offer_id, _me())
    form = WaiveOfferForm.for_offer(offer)
    if not form.validate_on_submit():
        return _render_mine(422, {("waive", offer.id): form})
    if not confirm.confirmed():
        return confirm.ask(
            title=_("Waive the offer for %(position)s?", position=offer.position.title(current_locale())),
            consequence=labels.waive_consequence(offer),
            yes_label=_("Yes, waive the right"),
            back_url=url_for(".offers_mine"),
        )
    try:
        offers.waive_offer(offer, _me(), form.reason.data, ip=_ip())
    except DomainError as err:
        code = show_error(form, err)
        return _render_mine(code, {("waive", offer.id): form})
    flash(
        _("You have waived the offer for %(position)s.", position=offer.position.title(current_locale())),
        "success",
    )
    return redirect(url_for(".offers_mine"))


# ---- HR of the list's agency ------------------------------------------------------------------


def _flash_called(called: list, asked: int) -> None:
    if not called:
        flash(_("No candidate is available on this list: nobody was called."), "error")
    elif len(called) < asked:
        flash(
            _(
                "Only %(called)s of the %(asked)s candidates asked for could be called: no more "
                "are available on the list.",
                called=len(called),
                asked=asked,
            ),
            "warning",
        )
    else:
        flash(
            ngettext(
                "%(num)s candidate has been called.", "%(num)s candidates have been called.", len(called)
            ),
            "success",
        )


def _render_owner(merit_list, call_form=None, decide_forms: dict | None = None, status: int = 200):
    locale = current_locale()
    if call_form is None:
        call_form = CallNextForm(
            positions=offers.positions_of_agency(current_user.agency_id),
            locale=locale,
            formdata=None,
            position_id=merit_list.round.position_id,
        )
    requests_ = list_use.requests_for_list(merit_list)
    decide_forms = decide_forms or {}
    forms = {
        r.id: decide_forms.get(r.id) or DecideUseForm.for_request(r, formdata=None)
        for r in requests_
        if r.status == list_use.PENDING
    }
    return render_template(
        "merit/offer_hr_list.html",
        merit_list=merit_list,
        usable=offers.usable(merit_list),
        usage=offers.list_usage(merit_list),
        offers=offers.offers_of_list(merit_list),
        next_up=offers.next_available(merit_list),
        call_form=call_form,
        requests=requests_,
        decide_forms=forms,
        use_consequences={
            r.id: {"approve": list_use.approve_consequence(r), "reject": list_use.reject_consequence(r)}
            for r in requests_
            if r.id in forms
        },
        remaining={r.id: offers.remaining_vacancies(r) for r in requests_},
    ), status


@bp.route("/hr/lists/<int:list_id>/offers")
@roles_required(*HR_ROLES)
def offers_hr_list(list_id: int):
    return _render_owner(offers.list_for_owner(list_id, _me()))


@bp.route("/hr/lists/<int:list_id>/offers/call", methods=["POST"])
@roles_required(*HR_ROLES)
def offers_hr_call(list_id: int):
    merit_list = offers.list_for_owner(list_id, _me())
    form = CallNextForm(positions=offers.positions_of_agency(current_user.agency_id), locale=current_locale())
    if not form.validate_on_submit():
        return _render_owner(merit_list, call_form=form, status=422)
    try:
        called = offers.call_next(
            merit_list,
            _me(),
            form.n.data,
            position_id=form.position_id.data,
            report_days=form.report_days.data,
            documents_required=form.documents_required.data or [],
            ip=_ip(),
        )
    except DomainError as err:
        return _render_owner(merit_list, call_form=form, status=show_error(form, err))
    _flash_called(called, form.n.data)
    return redirect(url_for(".offers_hr_list", list_id=merit_list.id))


@bp.route("/hr/list-use/requests/<int:request_id>/decide", methods=["POST"])
@roles_required(*HR_ROLES)
def use_decide(request_id: int):
    req = list_use.request_for_owner(request_id, _me())
    form = DecideUseForm.for_request(req)
    if not form.validate_on_submit():
        return _render_owner(req.merit_list, decide_forms={req.id: form}, status=422)
    approve = bool(form.approve.data)
    if not confirm.confirmed():
        try:
            list_use.check_decision(req, _me(), approve, form.reason.data or "")
        except DomainError as err:
            return _render_owner(req.merit_list, decide_forms={req.id: form}, status=show_error(form, err))
        return confirm.ask(
            title=_("Approve this request?") if approve else _("Reject this request?"),
            consequence=(list_use.approve_consequence if approve else list_use.reject_consequence)(req),
            yes_label=_("Yes, approve the request") if approve else _("Yes, reject the request"),
            back_url=url_for(".offers_hr_list", list_id=req.list_id),
        )
    try:
        list_use.decide_list_use(req, _me(), approve, form.reason.data or "", ip=_ip())
    except DomainError as err:
        return _render_owner(req.merit_list, decide_forms={req.id: form}, status=show_error(form, err))
    if req.status == list_use.APPROVED:
        flash(
            _("The request of %(agency)s has been approved.", agency=req.agency.name(current_locale())),
            "success",
        )
    else:
        flash(
            _("The request of %(agency)s has been rejected.", agency=req.agency.name(current_locale())),
            "success",
        )
    return redirect(url_for(".offers_hr_list", list_id=req.list_id))


# ---- HR of another agency: list use -----------------------------------------------------------


@bp.route("/hr/list-use")
@roles_required(*HR_ROLES)
def use_browse():
    agency_id = _hr_agency_id()
    locale = current_locale()
    form = ListFilterForm(agencies=list_use.owner_agencies(), locale=locale, formdata=request.args or None)
    form.validate()
    owner = None if form.agency_id.errors else form.agency_id.data
    lists = list_use.browse_usable_lists(
        position=form.position.data or "",
        qualification=form.qualification.data or "",
        agency_id=owner or None,
    )
    return render_template(
        "merit/use_browse.html",
        form=form,
        lists=lists,
        own_agency_id=agency_id,
        my_requests=list_use.requests_of_agency(agency_id),
        can_call=list_use.can_call,
    )


def _render_request_form(merit_list, form, status: int = 200):
    return render_template(
        "merit/use_request_form.html", merit_list=merit_list, form=form, usable=offers.usable(merit_list)
    ), status


@bp.route("/hr/list-use/lists/<int:list_id>/request", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def use_request_new(list_id: int):
    agency_id = _hr_agency_id()
    merit_list = list_use.usable_list(list_id)
    form = UseRequestForm(positions=offers.positions_of_agency(agency_id), locale=current_locale())
    if not form.validate_on_submit():
        return _render_request_form(merit_list, form, 422 if request.method == "POST" else 200)
    try:
        req = list_use.request_list_use(
            merit_list, _me(), form.position_id.data, form.vacancies.data, form.justification.data, ip=_ip()
        )
    except DomainError as err:
        return _render_request_form(merit_list, form, show_error(form, err))
    flash(
        _("Your request has been sent to %(agency)s.", agency=merit_list.round.agency.name(current_locale())),
        "success",
    )
    return redirect(url_for(".use_request", request_id=req.id))


def _render_request(req, call_form=None, status: int = 200):
    return render_template(
        "merit/use_request.html",
        req=req,
        merit_list=req.merit_list,
        call_form=call_form or UseCallForm(formdata=None),
        can_call=list_use.can_call(req),
        remaining=offers.remaining_vacancies(req),
        usable=offers.usable(req.merit_list),
        usage=offers.list_usage(req.merit_list),
        offers=offers.offers_of_list(req.merit_list, list_use=req),
    ), status


@bp.route("/hr/list-use/requests/<int:request_id>")
@roles_required(*HR_ROLES)
def use_request(request_id: int):
    return _render_request(list_use.request_for_requester(request_id, _me()))


@bp.route("/hr/list-use/requests/<int:request_id>/call", methods=["POST"])
@roles_required(*HR_ROLES)
def use_call(request_id: int):
    req = list_use.request_for_requester(request_id, _me())
    form = UseCallForm()
    if not form.validate_on_submit():
        return _render_request(req, form, 422)
    try:
        called = offers.call_next(
            req.merit_list,
            _me(),
            form.n.data,
            position_id=req.position_id,
            report_days=form.report_days.data,
            documents_required=form.documents_required.data or [],
            list_use=req,
            ip=_ip(),
        )
    except DomainError as err:
        return _render_request(req, form, show_error(form, err))
    _flash_called(called, form.n.data)
    return redirect(url_for(".use_request", request_id=req.id))
