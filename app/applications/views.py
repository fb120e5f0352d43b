"""HTTP views of applications: candidates apply, upload, withdraw; HR reviews; a small JSON API."""

from __future__ import annotations

from dataclasses import asdict, replace

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..accounts.labels import education_label, employment_label
from ..accounts.models import Role
from ..background import services as background
from ..common import national_id as nid
from ..common.access import HR_ROLES, is_hr_of
from ..common.auth import roles_required
from ..common.errors import DomainError, ValidationFailed
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..recruitment import eligibility
from ..recruitment import services as recruitment
from ..recruitment.models import Accommodation, Mode
from ..uploads.responses import private_download
from . import bp, search, services
from .forms import (
    DOCUMENT_FIELDS,
    AccommodationDecisionForm,
    ApplicationFilterForm,
    ApplyForm,
    ApproveForm,
    BulkApproveForm,
    DocumentForm,
    RejectForm,
    WithdrawForm,
)

# ---- template helpers of this blueprint's pages ----------------------------------------------


@bp.context_processor
def _labels():
    return {
        "application_status_label": services.status_label,
        "accommodation_label": recruitment.accommodation_label,
        "accommodation_status_label": services.accommodation_status_label,
        "document_kind_label": services.document_kind_label,
        "describe_criterion": eligibility.describe,
    }


def _ip() -> str:
    return request.remote_addr or ""


# ---- candidate: apply -------------------------------------------------------------------


def _render_apply(round_, form, code: int = 200):
    results = eligibility.check_candidate(round_, current_user)
    active = services.active_application(round_, current_user)
    offered = [k for k in Accommodation.ALL if k in (round_.accommodations_offered or [])]
    expected = services.expected_documents(round_)
    return render_template(
        "applications/apply.html",
        round=round_,
        form=form,
        criteria=results,
        eligible=eligibility.is_eligible(results),
        accepting=round_.is_accepting(),
        existing=active,
        offered=offered,
        disability=round_.mode == Mode.DISABILITY or round_.requires_disability_registration,
        expected=expected,
        document_fields=[
            (kind, form[name], kind in expected)
            for kind, name in DOCUMENT_FIELDS.items()
            if kind in expected or kind in ("photo", "other")
        ],
    ), code


@bp.route("/rounds/<int:round_id>/apply", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def apply(round_id: int):
    round_ = recruitment.public_round(round_id)
    form = ApplyForm()
    if request.method == "GET" and current_user.profile is not None:
        form.disability_type.data = current_user.profile.disability_type
        form.disability_card_no.data = current_user.profile.disability_card_no
    if not form.validate_on_submit():
        return _render_apply(round_, form, 422 if request.method == "POST" else 200)
    try:
        files = [services.Upload(kind, storage.read(), storage.filename) for kind, storage in form.files()]
        app_ = services.apply(
            round_,
            current_user,
            disability_type=form.disability_type.data or "",
            disability_card_no=form.disability_card_no.data or "",
            accommodations=form.accommodations(),
            uploads_=files,
            ip=_ip(),
        )
    except DomainError as err:
        show_error(form, err)
        return _render_apply(round_, form, err.status_code)
    flash(
        _("Your application has been submitted. Your application number is %(number)s.", number=app_.number),
        "success",
    )
    return redirect(url_for(".detail", app_id=app_.id))


@bp.route("/applications")
@roles_required(Role.CANDIDATE)
def mine():
    return render_template("applications/mine.html", applications=services.applications_of(current_user))


# ---- one application --------------------------------------------------------------------


def _viewable(app_id: int):
    app_ = services.get_application(app_id)
    if not services.can_view_application(current_user, app_):
        abort(403)
    return app_


def _qualification_rows(q: dict) -> list[tuple[str, str]]:
    return [
        (_("Education"), education_label(q.get("education_level"))),
        (_("Degree"), q.get("degree_name") or "–"),
        (_("Field of study"), q.get("field_of_study") or "–"),
        (_("GPA"), q.get("gpa") or "–"),
        (_("Employment"), employment_label(q.get("employment_type"))),
        (_("BMA service since"), q.get("bma_service_start") or "–"),
    ]


def _render_detail(app_, code: int = 200, **forms):
    is_owner = app_.candidate_id == current_user.id
    can_review = services.review_refusal(app_, current_user) is None
    decision_forms = {}
    if can_review:
        for req in app_.accommodations:
            decision_forms[req.id] = forms.get(f"decision_{req.id}") or AccommodationDecisionForm(
                prefix=AccommodationDecisionForm.prefix_for(req.id), formdata=None
            )
    return render_template(
        "applications/detail.html",
        app=app_,
        round=app_.round,
        is_owner=is_owner,
        is_hr=is_hr_of(current_user, app_.round.agency_id),
        can_review=can_review,
        can_withdraw=services.withdraw_refusal(app_, current_user) is None,
        can_add_documents=services.add_document_refusal(app_, current_user) is None,
        qualifications=_qualification_rows(app_.qualifications or {}),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        document_form=forms.get("document_form") or DocumentForm(formdata=None),
        approve_form=ApproveForm(formdata=None),
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        decision_forms=decision_forms,
    ), code


@bp.route("/applications/<int:app_id>")
@login_required
def detail(app_id: int):
    return _render_detail(_viewable(app_id))


@bp.route("/applications/<int:app_id>/withdraw", methods=["POST"])
@roles_required(Role.CANDIDATE)
def withdraw(app_id: int):
    app_ = _viewable(app_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_detail(app_, 422, withdraw_form=form)
    try:
        services.withdraw(app_, current_user, form.reason.data or "", ip=_ip())
    except DomainError as err:
        show_error(form, err)
        return _render_detail(app_, err.status_code, withdraw_form=form)
    flash(_("Application %(number)s has been withdrawn.", number=app_.number), "success")
    return redirect(url_for(".detail", app_id=app_.id))


@bp.route("/applications/<int:app_id>/documents", methods=["POST"])
@roles_required(Role.CANDIDATE)
def add_document(app_id: int):
    app_ = _viewable(app_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        return _render_detail(app_, 422, document_form=form)
    try:
        doc = services.add_document(
            app_,
            current_user,
            services.Upload(form.kind.data, form.file.data.read(), form.file.data.filename),
            ip=_ip(),
        )
    except DomainError as err:
        if err.field in ("file", "kind"):
            form[err.field].errors = [*form[err.field].errors, err.message]
        else:
            show_error(form, err)
        return _render_detail(app_, err.status_code, document_form=form)
    flash(_("%(name)s has been added to the application.", name=doc.original_name), "success")
    return redirect(url_for(".detail", app_id=app_.id))


# ---- HR review --------------------------------------------------------------------------


@bp.route("/applications/<int:app_id>/approve", methods=["POST"])
@roles_required(*HR_ROLES)
def approve(app_id: int):
    app_ = _viewable(app_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _render_detail(app_, 422)
    try:
        services.approve(app_, current_user, ip=_ip())
    except DomainError as err:
        show_error(None, err)
        return _render_detail(app_, err.status_code)
    flash(_("Application %(number)s has been approved.", number=app_.number), "success")
    return redirect(url_for(".detail", app_id=app_.id))


@bp.route("/applications/<int:app_id>/reject", methods=["POST"])
@roles_required(*HR_ROLES)
def reject(app_id: int):
    app_ = _viewable(app_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_detail(app_, 422, reject_form=form)
    try:
        services.reject(app_, current_user, form.reason.data, ip=_ip())
    except DomainError as err:
        show_error(form, err)
        return _render_detail(app_, err.status_code, reject_form=form)
    flash(_("Application %(number)s has been rejected.", number=app_.number), "success")
    return redirect(url_for(".detail", app_id=app_.id))


@bp.route("/accommodations/<int:req_id>/decide", methods=["POST"])
@roles_required(*HR_ROLES)
def decide_accommodation(req_id: int):
    req = services.get_accommodation_request(req_id)
    app_ = _viewable(req.application_id)
    form = AccommodationDecisionForm(prefix=AccommodationDecisionForm.prefix_for(req.id))
    forms = {f"decision_{req.id}": form}
    if not form.validate_on_submit():
        return _render_detail(app_, 422, **forms)
    try:
        services.decide_accommodation(
            req,
            current_user,
            form.status.data,
            approved_value=form.approved_value.data,
            note=form.note.data or "",
            ip=_ip(),
        )
    except DomainError as err:
        show_error(form, err)
        return _render_detail(app_, err.status_code, **forms)
    flash(
        _("The decision on %(kind)s has been saved.", kind=recruitment.accommodation_label(req.kind)),
        "success",
    )
    return redirect(url_for(".detail", app_id=app_.id) + "#accommodations")


# ---- HR's lists: search, filters, paging, bulk approval ---------------------------------


def _list_query(form: ApplicationFilterForm, round_=None) -> search.ApplicationQuery:
    ok = form.validate()
    data = form.data if ok else {}
    return search.ApplicationQuery(
        agency_id=round_.agency_id if round_ is not None else current_user.agency_id,
        round_id=round_.id if round_ is not None else None,
        q=data.get("q") or "",
        status=data.get("status") or "",
        track=(data.get("track") or "") if round_ is None else "",
        position_id=data.get("position") if round_ is None else None,
    )


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def _list_endpoint(round_) -> tuple[str, dict]:
    if round_ is None:
        return "applications.hr_all", {}
    return "applications.hr_list", {"round_id": round_.id}


def _render_list(round_=None):
    positions = search.positions_in_use(current_user.agency_id) if round_ is None else ()
    form = ApplicationFilterForm(formdata=request.args, positions=positions)
    query = _list_query(form, round_)
    page = search.search_applications(query, _page_number(), current_app.config["HR_LIST_PER_PAGE"])
    endpoint, endpoint_args = _list_endpoint(round_)
    return render_template(
        "applications/hr_list.html",
        round=round_,
        form=form,
        query=query,
        page=page,
        awaiting=search.awaiting_review(query),
        pending={a.id: services.pending_accommodations(a) for a in page.items},
        # Everyone listed applied to a round of the viewer's agency (the query is of that
        # agency only): can_see_national_id's rule holds for each row without asking per row.
        national_id_in_full=lambda person: nid.formatted(person.national_id or ""),
        endpoint=endpoint,
        endpoint_args=endpoint_args,
        bulk_form=BulkApproveForm(formdata=None),
    )


@bp.route("/hr/rounds/<int:round_id>/applications")
@roles_required(*HR_ROLES)
def hr_list(round_id: int):
    return _render_list(recruitment.round_for_hr(round_id, current_user))


@bp.route("/hr/applications")
@roles_required(*HR_ROLES)
def hr_all():
    return _render_list(None)


def _bulk_approve(round_=None):
    form = BulkApproveForm()
    if not form.validate_on_submit():
        abort(400)
    positions = search.positions_in_use(current_user.agency_id) if round_ is None else ()
    filters = ApplicationFilterForm(formdata=request.form, positions=positions)
    query = _list_query(filters, round_)
    endpoint, endpoint_args = _list_endpoint(round_)
    back = url_for(endpoint, **endpoint_args, **query.args())
    matching = form.scope.data == "matching"
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if not matching and not ids:
        flash(_("Tick the applications to approve first."), "warning")
        return redirect(back)
    if matching:
        awaiting = search.awaiting_review(query)
        count = awaiting.count
        if not count:
            flash(_("No application awaiting review matches the search."), "warning")
            return redirect(back)
    else:
        count = len(ids)
    if form.confirmed.data != "yes":
        return render_template(
            "applications/hr_bulk_confirm.html",
            round=round_,
            form=form,
            query=query,
            matching=matching,
            ids=ids,
            count=count,
            up_to_id=awaiting.up_to_id if matching else None,
            back=back,
            action=request.path,
        )
    if matching:
        up_to = form.up_to_id.data
        query = replace(query, up_to_id=int(up_to) if up_to.isdigit() else None)
    if count > current_app.config["BACKGROUND_ROWS_THRESHOLD"]:
        # Thousands at once: approved in the background, the progress on the job's page.
        job = background.submit(
            search.JOB_KIND,
            current_user,
            {
                "reviewer_id": current_user.id,
                "ip": _ip(),
                **({"query": asdict(query)} if matching else {"ids": ids}),
            },
            title=ngettext("Approving %(num)d application", "Approving %(num)d applications", count),
            return_to=back,
            locale=current_locale(),
        )
        return redirect(url_for("background.job_page", job_id=job.id))
    if matching:
        outcome = search.approve_matching(query, current_user, ip=_ip())
    else:
        outcome = search.approve_many(ids, current_user, ip=_ip())
    return render_template("applications/hr_bulk_done.html", round=round_, outcome=outcome, back=back)


@bp.route("/hr/rounds/<int:round_id>/applications/approve", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_bulk_approve(round_id: int):
    return _bulk_approve(recruitment.round_for_hr(round_id, current_user))


@bp.route("/hr/applications/approve", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_all_bulk_approve():
    return _bulk_approve(None)


# ---- documents --------------------------------------------------------------------------


@bp.route("/documents/<int:doc_id>")
@login_required
def document(doc_id: int):
    doc = services.get_document(doc_id)
    if not services.can_view_document(current_user, doc):
        abort(403)
    return private_download(doc.stored_name, doc.content_type, doc.original_name)


# ---- JSON API ---------------------------------------------------------------------------


def _api_login_required():
    if not current_user.is_authenticated:
        return jsonify(ok=False, error="unauthorized", message=_("Log in first.")), 401
    return None


def _application_json(app_) -> dict:
    return {
        "id": app_.id,
        "number": app_.number,
        "status": app_.status,
        "status_label": services.status_label(app_.status),
        "round": {
            "id": app_.round_id,
            "code": app_.round.code,
            "title_th": app_.round.title_th,
            "title_en": app_.round.title_en,
        },
        "submitted_at": app_.submitted_at.isoformat() if app_.submitted_at else None,
        "rejection_reason": app_.rejection_reason,
        "accommodations": [
            {
                "kind": r.kind,
                "requested_value": r.requested_value,
                "status": r.status,
                "approved_value": r.approved_value,
            }
            for r in app_.accommodations
        ],
    }


@bp.route("/api/rounds/<int:round_id>/applications", methods=["POST"])
def api_apply(round_id: int):
    refusal = _api_login_required()
    if refusal:
        return refusal
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(ok=False, error="bad_request", message=_("Send a JSON object.")), 400
    accommodations = body.get("accommodations") or {}
    if not isinstance(accommodations, dict):
        raise ValidationFailed(_("Accommodations are an object of {kind: value}."), "accommodations")
    round_ = recruitment.public_round(round_id)
    app_ = services.apply(
        round_,
        current_user,
        disability_type=str(body.get("disability_type") or ""),
        disability_card_no=str(body.get("disability_card_no") or ""),
        accommodations=accommodations,
        ip=_ip(),
    )
    return jsonify(ok=True, id=app_.id, number=app_.number, status=app_.status), 201


@bp.route("/api/applications")
def api_mine():
    refusal = _api_login_required()
    if refusal:
        return refusal
    return jsonify(
        ok=True, applications=[_application_json(a) for a in services.applications_of(current_user)]
    )
