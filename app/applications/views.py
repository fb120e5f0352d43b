"""HTTP views of applications: candidates apply, upload, withdraw; HR reviews; a small JSON API."""

from __future__ import annotations

from dataclasses import asdict, replace

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..accounts.labels import education_label, employment_label
from ..accounts.models import Role
from ..background import services as background
from ..common import confirm
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
from . import attachments, bp, labels, search, services
from .forms import (
    DOCUMENT_FIELDS,
    AccommodationDecisionForm,
    ApplicationFilterForm,
    ApplyForm,
    ApproveForm,
    BulkApproveForm,
    DocumentForm,
    RejectForm,
    SubmitApplicationForm,
    WithdrawForm,
)
from .models import DocumentKind

# ---- template helpers of this blueprint's pages ----------------------------------------------


@bp.context_processor
def _labels():
    return {
        "application_status_label": labels.status_label,
        "accommodation_label": recruitment.accommodation_label,
        "accommodation_status_label": labels.accommodation_status_label,
        "document_kind_label": labels.document_kind_label,
        "describe_criterion": eligibility.describe,
    }


def _ip() -> str:
    return request.remote_addr or ""


# ---- candidate: apply, check your answers, submit --------------------------------------------
# The answers and the files' document ids wait in the session between the form and "check your
# answers" (one draft per round); the files themselves are stored, unattached, until submitted.
DRAFTS = "application_drafts"


def _draft(round_id: int) -> dict | None:
    return (session.get(DRAFTS) or {}).get(str(round_id))


def _keep_draft(round_id: int, draft: dict) -> None:
    session[DRAFTS] = {**(session.get(DRAFTS) or {}), str(round_id): draft}


def _drop_draft(round_id: int) -> None:
    drafts = dict(session.get(DRAFTS) or {})
    drafts.pop(str(round_id), None)
    session[DRAFTS] = drafts


def _draft_documents(draft: dict | None) -> list:
    return attachments.unattached_documents(current_user, (draft or {}).get("documents"))


def _render_apply(round_, form, draft=None, code: int = 200):
    results = eligibility.check_candidate(round_, current_user)
    active = services.active_application(round_, current_user)
    offered = [k for k in Accommodation.ALL if k in (round_.accommodations_offered or [])]
    expected = attachments.expected_documents(round_)
    attached: dict[str, list] = {}
    for doc in _draft_documents(draft):
        attached.setdefault(doc.kind, []).append(doc)
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
            (kind, form[name], kind in expected, attached.get(kind, []))
            for kind, name in DOCUMENT_FIELDS.items()
            if kind in expected or kind in ("photo", "other") or kind in attached
        ],
    ), code


@bp.route("/rounds/<int:round_id>/apply", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def apply(round_id: int):
    """The form: answers and files. It does not submit: it leads to "check your answers"."""
    round_ = recruitment.public_round(round_id)
    draft = _draft(round_id)
    form = ApplyForm()
    if request.method == "GET":
        if draft is not None:  # back from "check your answers" to change something
            form.disability_type.data = draft["disability_type"]
            form.disability_card_no.data = draft["disability_card_no"]
            for kind, value in draft["accommodations"].items():
                form[kind].data = value
        elif current_user.profile is not None:
            form.disability_type.data = current_user.profile.disability_type
            form.disability_card_no.data = current_user.profile.disability_card_no
    if not form.validate_on_submit():
        return _render_apply(round_, form, draft, 422 if request.method == "POST" else 200)
    answers = {
        "disability_type": form.disability_type.data or "",
        "disability_card_no": form.disability_card_no.data or "",
        "accommodations": form.accommodations(),
    }
    try:
        services.check_application(round_, current_user, **answers)
        files = [services.Upload(kind, storage.read(), storage.filename) for kind, storage in form.files()]
        kept = attachments.keep_for_application(current_user, files, ip=_ip()) if files else []
    except attachments.DocumentRefused as err:
        form[DOCUMENT_FIELDS[err.kind]].errors = [*form[DOCUMENT_FIELDS[err.kind]].errors, err.message]
        return _render_apply(round_, form, draft, err.status_code)
    except DomainError as err:
        show_error(form, err)
        return _render_apply(round_, form, draft, err.status_code)
    documents = [d.id for d in _draft_documents(draft)] + [d.id for d in kept]
    _keep_draft(round_id, {**answers, "documents": documents})
    return redirect(url_for(".check_answers", round_id=round_id))


def _answer_rows(round_, draft: dict) -> list[tuple[str, str, str | None]]:
    """(question, answer, where to change it) of "check your answers", documents aside."""
    change = url_for(".apply", round_id=round_.id)
    rows = [
        (label, value, url_for("accounts.profile"))
        for label, value in _qualification_rows(eligibility.Qualifications.of(current_user).to_dict())
    ]
    if round_.mode == Mode.DISABILITY or round_.requires_disability_registration:
        rows.append((_("Type of disability"), draft["disability_type"] or "–", change + "#disability_type"))
        rows.append(
            (
                _("Disability registration card number"),
                draft["disability_card_no"] or "–",
                change + "#disability_card_no",
            )
        )
    if round_.accommodations_offered:
        asked = [
            recruitment.accommodation_label(kind)
            + (f" ({value}%)" if kind == Accommodation.EXTRA_TIME else "")
            for kind, value in draft["accommodations"].items()
        ]
        rows.append(
            (_("Accommodations for the tests"), ", ".join(asked) or _("None"), change + "#accommodations")
        )
    return rows


def _render_check(round_, draft: dict, form, code: int = 200):
    documents = _draft_documents(draft)
    change = url_for(".apply", round_id=round_.id)
    kinds = [
        k
        for k in DocumentKind.ALL
        if k in attachments.expected_documents(round_) or any(d.kind == k for d in documents)
    ]
    return render_template(
        "applications/check_answers.html",
        round=round_,
        form=form,
        rows=_answer_rows(round_, draft),
        documents=[
            (kind, [d for d in documents if d.kind == kind], change + "#" + DOCUMENT_FIELDS[kind])
            for kind in kinds
        ],
        missing=attachments.missing_documents(round_, [d.kind for d in documents]),
        change_documents=change + "#documents",
    ), code


@bp.route("/rounds/<int:round_id>/apply/check", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def check_answers(round_id: int):
    """Check your answers: every answer and document with a way to change it; the application
    is submitted from here only."""
    round_ = recruitment.public_round(round_id)
    draft = _draft(round_id)
    if draft is None:
        return redirect(url_for(".apply", round_id=round_id))
    form = SubmitApplicationForm()
    if not form.validate_on_submit():
        return _render_check(round_, draft, form, 422 if request.method == "POST" else 200)
    try:
        app_ = services.apply(
            round_,
            current_user,
            disability_type=draft["disability_type"],
            disability_card_no=draft["disability_card_no"],
            accommodations=draft["accommodations"],
            documents=_draft_documents(draft),
            ip=_ip(),
        )
    except DomainError as err:
        show_error(form, err)
        return _render_check(round_, draft, form, err.status_code)
    _drop_draft(round_id)
    return redirect(url_for(".submitted", app_id=app_.id))


@bp.route("/applications/<int:app_id>/submitted")
@roles_required(Role.CANDIDATE)
def submitted(app_id: int):
    """The confirmation: the number, what happens next, and any expected document missing."""
    app_ = _viewable(app_id)
    if app_.candidate_id != current_user.id:
        abort(403)
    return render_template(
        "applications/submitted.html",
        app=app_,
        round=app_.round,
        steps=labels.next_steps(app_),
        missing=attachments.missing_documents(app_.round, [d.kind for d in app_.documents]),
        can_add_documents=attachments.add_document_refusal(app_, current_user) is None,
    )


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
        can_add_documents=attachments.add_document_refusal(app_, current_user) is None,
        qualifications=_qualification_rows(app_.qualifications or {}),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        document_form=forms.get("document_form") or DocumentForm(formdata=None),
        approve_form=ApproveForm(formdata=None),
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        decision_forms=decision_forms,
        consequences=labels.consequences(app_),
    ), code


def _ask(app_, title: str, consequence: str, yes_label: str):
    """The confirmation page of a step on the application (app/common/confirm.py)."""
    return confirm.ask(
        title=title,
        consequence=consequence,
        yes_label=yes_label,
        back_url=url_for(".detail", app_id=app_.id),
    )


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
    if not confirm.confirmed():
        return _ask(
            app_, _("Withdraw this application?"), labels.consequence("withdraw", app_), _("Yes, withdraw it")
        )
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
        doc = attachments.add_document(
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
    if not confirm.confirmed():
        return _ask(
            app_, _("Approve this application?"), labels.consequence("approve", app_), _("Yes, approve it")
        )
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
    if not confirm.confirmed():
        return _ask(
            app_, _("Reject this application?"), labels.consequence("reject", app_), _("Yes, reject it")
        )
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
        "status_label": labels.status_label(app_.status),
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
