"""Merit-list pages: HR prepares, approves, publishes, corrects, extends and cancels result
lists; the public browses published lists, searches them and verifies a digest."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..background import services as background
from ..common import confirm
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..common.thai import format_date
from ..extensions import limiter
from ..recruitment.services import application_counts, round_for_hr
from ..scores import part_a
from . import (
    bp,
    generation,
    generation_jobs,
    labels,
    list_use,
    offers,
    public,
    readiness,
    services,
    tie_break,
    workflow,
)
from . import charts as merit_charts
from .digest import canonical_content, normalize_digest, verify
from .forms import (
    ApproveForm,
    CorrectForm,
    ExtendForm,
    GenerateListForm,
    ReasonForm,
    SearchForm,
    StepForm,
    VerifyListForm,
)
from .labels import decided_by_label
from .models import EntryStatus, ListKind

PER_PAGE = 100


def _me():
    return current_user._get_current_object()


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


# ---- HR: the lists of a round ------------------------------------------------------------


def _kinds(round_):
    kinds = [ListKind.ELIGIBLE]
    if round_.stage("part_c") is not None:
        kinds.append(ListKind.PASSED_TO_PART_C)
    kinds.append(ListKind.MERIT)
    return [(k, labels.list_kind_label(k)) for k in kinds]


def _posted_chain():
    """The tie-break chain the chooser posted (None: the form had no chooser, use the default)."""
    if "chain_shown" not in request.form and not any(request.form.getlist("tie_break")):
        return None
    return tie_break.parse_chain(request.form.getlist("tie_break"))


def _chain_edit(round_, chain):
    """The chain after the chooser's button that was pressed (add, remove, move), or None when
    the form was sent to act (prepare, correct)."""
    action = request.form.get("chain_edit")
    if action is None:
        return None
    if action == tie_break.ADD:
        action = f"{tie_break.ADD}:{request.form.get('chain_add', '')}"
    allowed = [c.code for c in tie_break.criteria_of(round_)]
    return tie_break.edit_chain(chain or [], action, allowed)


def _chooser(round_, chain) -> dict:
    criteria = tie_break.criteria_of(round_)
    return {
        "chain": [(code, decided_by_label(code)) for code in chain],
        "addable": [c for c in criteria if c.code not in chain],
    }


def _render_lists(round_, form=None, status: int = 200, chain=None):
    form = form or GenerateListForm(kinds=_kinds(round_), formdata=None, kind=ListKind.MERIT)
    missing = {k: readiness.unmet_conditions(round_, k) for k, _label in _kinds(round_)}
    if chain is None:
        chain = tie_break.parse_chain(generation.default_tie_break(round_))
    return render_template(
        "merit/hr_lists.html",
        round=round_,
        missing=missing,
        lists=services.lists_of_round(round_),
        form=form,
        track=services.track_of_round(round_),
        default_tie_break=" → ".join(tie_break.chain_labels(generation.default_tie_break(round_))),
        chooser=_chooser(round_, chain),
    ), status


@bp.route("/hr/rounds/<int:round_id>/lists")
@roles_required(*HR_ROLES)
def hr_lists(round_id: int):
    return _render_lists(round_for_hr(round_id, current_user))


@bp.route("/hr/rounds/<int:round_id>/lists", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_generate(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    form = GenerateListForm(kinds=_kinds(round_))
    chain = _posted_chain()
    edited = _chain_edit(round_, chain)
    if edited is not None:  # a step of the chooser: show the chain as it now reads
        return _render_lists(round_, form, chain=edited)
    if not form.validate_on_submit():
        return _render_lists(round_, form, 422, chain=chain)
    stored_chain = tie_break.stored(chain) if chain is not None else None
    if (
        application_counts([round_.id])[round_.id].get("approved", 0)
        > current_app.config["BACKGROUND_ROWS_THRESHOLD"]
    ):
        # A round of thousands: prepared in the background, its progress on the job's page.
        job = background.submit(
            generation_jobs.JOB_KIND,
            _me(),
            {
                "round_id": round_.id,
                "actor_id": current_user.id,
                "kind": form.kind.data,
                "tie_break": stored_chain,
            },
            title=_("Preparing the list of %(code)s", code=round_.code),
            return_to=url_for("merit.hr_lists", round_id=round_.id),
            locale=current_locale(),
        )
        return redirect(url_for("background.job_page", job_id=job.id))
    try:
        ml = generation.generate_list(round_, _me(), kind=form.kind.data, tie_break=stored_chain)
    except DomainError as err:
        return _render_lists(round_, form, show_error(form, err), chain=chain)
    flash(generation_jobs.draft_prepared(ml), "success")
    return redirect(url_for("merit.hr_list", list_id=ml.id))


def _prepared_list_link(result: dict):
    """The job page's way to the draft it prepared."""
    if not result.get("list_id"):
        return None
    return url_for("merit.hr_list", list_id=result["list_id"]), _("Open the draft list")


background.register_result_link(generation_jobs.JOB_KIND, _prepared_list_link)


# ---- HR: one list ------------------------------------------------------------------------


def _render_list(ml, status: int = 200, chain=None, **forms):
    q = request.args.get("q", "")
    if chain is None:
        chain = tie_break.parse_chain(ml.tie_break)
    entry_status = request.args.get("status", "")
    entry_status = entry_status if entry_status in EntryStatus.ALL else ""
    forms = {
        "step_form": StepForm(formdata=None),
        "approve_form": ApproveForm(formdata=None, prefix="approve"),
        "withdraw_form": ReasonForm(formdata=None, prefix="withdraw"),
        "correct_form": CorrectForm(formdata=None, prefix="correct"),
        "extend_form": ExtendForm(formdata=None, prefix="extend"),
        "cancel_form": ReasonForm(formdata=None, prefix="cancel"),
        **forms,
    }
    show_calls = ml.kind == ListKind.MERIT and ml.published_at is not None
    pending = (
        sum(1 for r in list_use.requests_for_list(ml) if r.status == list_use.PENDING) if show_calls else 0
    )
    return render_template(
        "merit/hr_list.html",
        ml=ml,
        q=q,
        show_calls=show_calls,
        pending_requests=pending,
        page=public.search_entries(ml, q, _page(), PER_PAGE, status=entry_status),
        entry_status=entry_status,
        entry_statuses=list(EntryStatus.ALL),
        counts=offers.list_usage(ml),
        versions=services.versions_of(ml),
        people=public.people_of(ml),
        status_now=services.status_on(ml),
        stages=public.score_columns(ml),
        changes=workflow.changes_behind(ml) if ml.published_at is None else [],
        missing=readiness.unmet_conditions(ml.round, ml.kind) if ml.published_at is None else [],
        chooser=_chooser(ml.round, chain),
        totals_chart=merit_charts.totals_distribution(ml) if ml.kind == ListKind.MERIT else None,
        status_chart=merit_charts.status_summary(ml) if show_calls else None,
        approve_refusal=workflow.approve_refusal(ml, _me()),
        confirm_withdrawal_refusal=workflow.confirm_withdrawal_refusal(ml, _me()),
        consequences=labels.consequences(ml),
        **forms,
    ), status


@bp.route("/hr/lists/<int:list_id>")
@roles_required(*HR_ROLES)
def hr_list(list_id: int):
    return _render_list(services.list_for_hr(list_id, current_user))


def _ask(ml, title: str, consequence: str, yes_label: str):
    """The confirmation page of a step on the list (app/common/confirm.py)."""
    return confirm.ask(
        title=title,
        consequence=consequence,
        yes_label=yes_label,
        back_url=url_for("merit.hr_list", list_id=ml.id),
    )


def _step(list_id: int, action, done_message, ask):
    ml = services.list_for_hr(list_id, current_user)
    if not StepForm().validate_on_submit():
        abort(400)
    if not confirm.confirmed():
        return ask(ml)
    try:
        action(ml, _me())
    except DomainError as err:
        show_error(None, err)
    else:
        flash(done_message(ml), "success")
    return redirect(url_for("merit.hr_list", list_id=ml.id))


@bp.route("/hr/lists/<int:list_id>/approve", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_approve(list_id: int):
    ml = services.list_for_hr(list_id, current_user)
    form = ApproveForm(prefix="approve")
    if not form.validate_on_submit():
        abort(400)
    if not confirm.confirmed():
        return _ask(
            ml, _("Approve this list?"), labels.consequence("approve", ml), _("Yes, approve the list")
        )
    try:
        workflow.approve(ml, _me(), changes_seen=bool(form.changes_seen.data))
    except DomainError as err:
        return _render_list(ml, show_error(form, err), approve_form=form)
    flash(_("Version %(v)s approved. It can now be published.", v=ml.version), "success")
    return redirect(url_for("merit.hr_list", list_id=ml.id))


@bp.route("/hr/lists/<int:list_id>/publish", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_publish(list_id: int):
    return _step(
        list_id,
        workflow.publish,
        lambda ml: _("Version %(v)s is published. Digest: %(digest)s", v=ml.version, digest=ml.digest),
        lambda ml: _ask(
            ml, _("Publish this list?"), labels.consequence("publish", ml), _("Yes, publish the list")
        ),
    )


@bp.route("/hr/lists/<int:list_id>/correct", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_correct(list_id: int):
    ml = services.list_for_hr(list_id, current_user)
    form = CorrectForm(prefix="correct")
    chain = _posted_chain()
    edited = _chain_edit(ml.round, chain)
    if edited is not None:
        return _render_list(ml, correct_form=form, chain=edited)
    if not form.validate_on_submit():
        return _render_list(ml, 422, correct_form=form, chain=chain)
    try:
        new = workflow.correct(
            ml, _me(), form.reason.data, tie_break=tie_break.stored(chain) if chain is not None else None
        )
    except DomainError as err:
        return _render_list(ml, show_error(form, err), correct_form=form, chain=chain)
    flash(
        _(
            "Correction prepared as version %(v)s (draft). Version %(old)s stays in force until "
            "the correction is approved and published.",
            v=new.version,
            old=ml.version,
        ),
        "success",
    )
    return redirect(url_for("merit.hr_list", list_id=new.id))


@bp.route("/hr/lists/<int:list_id>/extend", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_extend(list_id: int):
    ml = services.list_for_hr(list_id, current_user)
    form = ExtendForm(prefix="extend")
    if not form.validate_on_submit():
        return _render_list(ml, 422, extend_form=form)
    try:
        workflow.extend(ml, _me(), form.reason.data, form.until.data)
    except DomainError as err:
        return _render_list(ml, show_error(form, err), extend_form=form)
    flash(_("The list is extended until %(d)s.", d=format_date(ml.valid_until, current_locale())), "success")
    return redirect(url_for("merit.hr_list", list_id=ml.id))


@bp.route("/hr/lists/<int:list_id>/cancel", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_cancel(list_id: int):
    ml = services.list_for_hr(list_id, current_user)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return _render_list(ml, 422, cancel_form=form)
    if not confirm.confirmed():
        return _ask(ml, _("Cancel this list?"), labels.consequence("cancel", ml), _("Yes, cancel the list"))
    try:
        workflow.cancel(ml, _me(), form.reason.data)
    except DomainError as err:
        return _render_list(ml, show_error(form, err), cancel_form=form)
    flash(_("Version %(v)s is cancelled: it can no longer be used.", v=ml.version), "success")
    return redirect(url_for("merit.hr_list", list_id=ml.id))


@bp.route("/hr/lists/<int:list_id>/withdraw", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_request_withdrawal(list_id: int):
    ml = services.list_for_hr(list_id, current_user)
    form = ReasonForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _render_list(ml, 422, withdraw_form=form)
    if not confirm.confirmed():
        return _ask(
            ml,
            _("Request the withdrawal of this list?"),
            labels.consequence("withdrawal_request", ml),
            _("Yes, request the withdrawal"),
        )
    try:
        workflow.request_withdrawal(ml, _me(), form.reason.data)
    except DomainError as err:
        return _render_list(ml, show_error(form, err), withdraw_form=form)
    flash(
        _("Withdrawal requested. A second HR approver must confirm it; until then the list stays in force."),
        "success",
    )
    return redirect(url_for("merit.hr_list", list_id=ml.id))


@bp.route("/hr/lists/<int:list_id>/withdraw/confirm", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_confirm_withdrawal(list_id: int):
    return _step(
        list_id,
        workflow.confirm_withdrawal,
        lambda ml: _("Version %(v)s is withdrawn.", v=ml.version),
        lambda ml: _ask(
            ml, _("Withdraw this list?"), labels.consequence("withdraw", ml), _("Yes, withdraw the list")
        ),
    )


# ---- public ------------------------------------------------------------------------------


@bp.route("/lists")
def public_lists():
    return render_template("merit/public_lists.html", lists=public.public_lists())


@bp.route("/lists/<int:list_id>")
def public_list(list_id: int):
    ml = public.public_list(list_id)
    form = SearchForm(request.args)
    q = (form.q.data or "") if form.validate() else ""
    return render_template(
        "merit/public_list.html",
        ml=ml,
        form=form,
        q=q,
        page=public.search_entries(ml, q, _page(), PER_PAGE),
        counts=offers.list_usage(ml),
        status_now=services.status_on(ml),
        versions=[v for v in services.versions_of(ml) if v.published_at],
        stages=public.score_columns(ml),
        part_a_basis=public.part_a_basis(ml),
        basis_statement=part_a.basis_statement,
    )


@bp.route("/lists/<int:list_id>/canonical.json")
def canonical_json(list_id: int):
    """The exact bytes the digest is taken of: anyone can check them with sha256sum."""
    ml = public.public_list(list_id)
    return Response(
        canonical_content(ml),
        mimetype="application/json",
        headers={"Content-Disposition": f'inline; filename="list-{ml.id}-v{ml.version}.json"'},
    )


@bp.route("/verify/list")
def verify_list_form():
    form = VerifyListForm(formdata=request.args if request.args.get("digest") else None)
    if request.args.get("digest") and form.validate():
        return redirect(
            url_for("merit.verify_list", digest=normalize_digest(form.digest.data) or form.digest.data)
        )
    return render_template("merit/verify.html", form=form, result=None)


@bp.route("/verify/list/<digest>")
@limiter.limit("60 per minute")
def verify_list(digest: str):
    result = verify(digest)
    return render_template(
        "merit/verify.html", form=VerifyListForm(formdata=None), result=result, digest=digest
    )
