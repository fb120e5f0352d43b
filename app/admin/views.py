"""Administration: agencies, staff accounts and roles, the audit log. Administrators only."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import services as accounts
from ..accounts.models import Role
from ..agencies import services as agencies
from ..audit import labels as audit_labels
from ..audit.services import verify_chain
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..recruitment.services import status_label
from . import bp
from . import services as queries
from .forms import (
    KIND_LABELS,
    ROLE_LABELS,
    AgencyForm,
    AuditFilterForm,
    ConfirmForm,
    GrantRoleForm,
    UserAgencyForm,
    UserCreateForm,
    UserSearchForm,
    agency_choices,
    agency_id_or_none,
    any_choice,
)


@bp.before_request
@roles_required(Role.ADMIN)
def _admins_only():
    """A safety net: a route added here without its decorator is still for administrators."""


@bp.context_processor
def _labels():
    return {
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
        "status_label": status_label,
        "audit_action_label": audit_labels.action_label,
        "audit_object_label": audit_labels.object_type_label,
        # Compact, readable JSON (Thai stays Thai); Jinja escapes it.
        "compact_json": lambda value: json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ),
    }


def _page() -> int:
    return request.args.get("page", 1, type=int)


def _expired():
    flash(_("The form expired; please try again."), "error")


# ---- dashboard ---------------------------------------------------------------------------


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    return render_template(
        "admin/index.html",
        users_total=accounts.count_users(),
        users_by_role=accounts.count_users_by_role(),
        agencies_total=queries.count_agencies(),
        rounds_by_status=queries.count_rounds_by_status(),
        audit_total=queries.count_audit_entries(),
    )


# ---- agencies ----------------------------------------------------------------------------


@bp.route("/agencies")
@roles_required(Role.ADMIN)
def agencies_list():
    return render_template("admin/agencies.html", agencies=agencies.list_agencies())


def _agency_values(form: AgencyForm) -> dict:
    return {
        "code": form.code.data,
        "name_th": form.name_th.data,
        "name_en": form.name_en.data,
        "kind": form.kind.data,
        "active": form.active.data,
        "records_interviews": form.records_interviews.data,
    }


@bp.route("/agencies/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def agency_new():
    form = AgencyForm()
    status = 200
    if form.validate_on_submit():
        try:
            agency = agencies.create_agency(
                current_user, ip=request.remote_addr or "", **_agency_values(form)
            )
        except DomainError as err:
            status = show_error(form, err)
        else:
            flash(_("Agency %(code)s created.", code=agency.code), "success")
            return redirect(url_for("admin.agencies_list"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/agency_form.html", form=form, agency=None), status


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def agency_edit(agency_id: int):
    agency = agencies.get_agency(agency_id)
    form = AgencyForm(obj=agency)
    status = 200
    if form.validate_on_submit():
        try:
            agencies.update_agency(agency, current_user, ip=request.remote_addr or "", **_agency_values(form))
        except DomainError as err:
            status = show_error(form, err)
        else:
            flash(_("Agency %(code)s saved.", code=agency.code), "success")
            return redirect(url_for("admin.agencies_list"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/agency_form.html", form=form, agency=agency), status


# ---- users -------------------------------------------------------------------------------


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    form = UserSearchForm(request.args)
    role = form.role.data if form.role.data in Role.ALL else None
    q = (form.q.data or "").strip()
    pagination = accounts.search_users(q, role, _page())
    return render_template("admin/users.html", form=form, pagination=pagination, q=q, role=role or "")


def _render_user(user, status: int = 200, **bound_forms):
    """The user's page; a form that was just posted (and failed) keeps its input and errors."""
    all_agencies = agencies.list_agencies()
    forms = {
        "grant_form": GrantRoleForm(formdata=None),
        "agency_form": UserAgencyForm(formdata=None, agency_id=user.agency_id or 0),
        "confirm_form": ConfirmForm(formdata=None),
    }
    forms.update(bound_forms)
    forms["agency_form"].agency_id.choices = agency_choices(all_agencies, current_locale())
    entries, actors = queries.recent_entries_about("users", user.id)
    return render_template(
        "admin/user_detail.html", user=user, entries=entries, actors=actors, **forms
    ), status


@bp.route("/users/<int:user_id>")
@roles_required(Role.ADMIN)
def user_detail(user_id: int):
    return _render_user(accounts.get_user(user_id))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@roles_required(Role.ADMIN)
def user_grant_role(user_id: int):
    user = accounts.get_user(user_id)
    form = GrantRoleForm()
    if not form.validate():
        return _render_user(user, 422, grant_form=form)
    try:
        accounts.grant_role(user, form.role.data, current_user)
    except DomainError as err:
        return _render_user(user, show_error(form, err), grant_form=form)
    flash(_("Role granted: %(role)s.", role=ROLE_LABELS[form.role.data]), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/roles/<role>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def user_revoke_role(user_id: int, role: str):
    user = accounts.get_user(user_id)
    if role not in Role.ALL:
        abort(404)
    if not ConfirmForm().validate():
        _expired()
        return _render_user(user, 422)
    try:
        accounts.revoke_role(user, role, current_user)
    except DomainError as err:
        return _render_user(user, show_error(None, err))
    flash(_("Role removed: %(role)s.", role=ROLE_LABELS[role]), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/agency", methods=["POST"])
@roles_required(Role.ADMIN)
def user_set_agency(user_id: int):
    user = accounts.get_user(user_id)
    form = UserAgencyForm()
    form.agency_id.choices = agency_choices(agencies.list_agencies(), current_locale())
    if not form.validate():
        return _render_user(user, 422, agency_form=form)
    try:
        accounts.set_agency(user, agency_id_or_none(form.agency_id.data), current_user)
    except DomainError as err:
        return _render_user(user, show_error(form, err), agency_form=form)
    flash(_("Agency saved."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _set_active(user_id: int, active: bool):
    user = accounts.get_user(user_id)
    if not ConfirmForm().validate():
        _expired()
        return _render_user(user, 422)
    try:
        accounts.set_active(user, active, current_user)
    except DomainError as err:
        return _render_user(user, show_error(None, err))
    flash(_("The account is active again.") if active else _("The account is deactivated."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@roles_required(Role.ADMIN)
def user_activate(user_id: int):
    return _set_active(user_id, True)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    form = UserCreateForm()
    form.agency_id.choices = agency_choices(agencies.list_agencies(active_only=True), current_locale())
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.create_staff_user(
                current_user,
                email=form.email.data,
                password=form.password.data,
                first_name_th=form.first_name_th.data.strip(),
                last_name_th=form.last_name_th.data.strip(),
                first_name_en=(form.first_name_en.data or "").strip(),
                last_name_en=(form.last_name_en.data or "").strip(),
                roles=form.roles.data or [],
                agency_id=agency_id_or_none(form.agency_id.data),
            )
        except DomainError as err:
            status = show_error(form, err, aliases={"role": "roles"})
        else:
            flash(_("Account created for %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    elif form.is_submitted():
        status = 422
    return render_template("admin/user_new.html", form=form), status


# ---- audit log ---------------------------------------------------------------------------


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit():
    form = AuditFilterForm(request.args)
    object_types = queries.audit_object_types()
    form.object_type.choices = any_choice(object_types, audit_labels.object_type_label)
    object_type = form.object_type.data if form.object_type.data in object_types else ""
    action = (form.action.data or "").strip()
    page = queries.audit_page(action, object_type, _page())
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        action=action,
        object_type=object_type,
        verify_form=ConfirmForm(formdata=None),
    )


@bp.route("/audit/verify", methods=["POST"])
@roles_required(Role.ADMIN)
def audit_verify():
    if not ConfirmForm().validate():
        _expired()
        return redirect(url_for("admin.audit"))
    report = verify_chain()
    if report.ok:
        flash(_("Audit chain intact: %(n)s entries checked.", n=report.checked), "success")
    else:
        e = report.first_broken
        flash(
            _(
                "Audit chain BROKEN at entry seq %(seq)s (%(action)s, %(type)s %(id)s): "
                "%(reason)s. The %(n)s entries before it are intact.",
                seq=e.seq,
                action=e.action,
                type=e.object_type,
                id=e.object_id,
                reason=report.reason,
                n=report.checked,
            ),
            "error",
        )
    return redirect(url_for("admin.audit"))
