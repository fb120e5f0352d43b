"""HTTP views of accounts: register, log in and out, the candidate's profile, /api/me."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (abort, current_app, flash, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..common import national_id as nid
from ..common.errors import DomainError
from ..common.forms import show_error
from ..extensions import limiter
from . import bp, services
from .forms import ChangePasswordForm, LoginForm, ProfileForm, RegistrationForm
from .models import Role


def _safe_next(target: str | None) -> str | None:
    """A path on this site, or None: never send someone elsewhere after logging in."""
    if not target or any(ord(c) < 0x20 for c in target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _client_ip() -> str:
    return request.remote_addr or ""


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = services.register_candidate(form.registration(), ip=_client_ip())
        except DomainError as err:
            show_error(form, err)
        else:
            login_user(user)
            session.permanent = True
            flash(_("Welcome, %(name)s. Your account is ready: choose a recruitment round to apply.",
                    name=user.first_name_th), "success")
            return redirect(url_for("recruitment.browse"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = _safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("main.index"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, ip=_client_ip())
        except services.LoginFailed as err:
            return render_template("accounts/login.html", form=form, failure=err.message), 401
        login_user(user)
        session.permanent = True
        flash(_("You are logged in."), "success")
        return redirect(_safe_next(form.next.data) or url_for("main.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form, failure=None), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    is_candidate = user.has_role(Role.CANDIDATE)
    if request.method == "POST" and not is_candidate:
        abort(403)  # only candidates have qualifications to keep
    form = ProfileForm(obj=user.profile) if is_candidate else None
    if form is not None and form.validate_on_submit():
        try:
            services.update_profile(user, form.values())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/profile.html", user=user, form=form), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), form.old_password.data,
                                     form.password.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status


def api_me():
    """Who is logged in, for scripts and pages; 401 JSON (not a redirect) when nobody is."""
    if not current_user.is_authenticated:
        return jsonify({"ok": False, "error": "unauthorized",
                        "message": _("Log in to use this service.")}), 401
    user = current_user
    return jsonify({
        "ok": True,
        "id": user.id,
        "email": user.email,
        "first_name_th": user.first_name_th,
        "last_name_th": user.last_name_th,
        "first_name_en": user.first_name_en,
        "last_name_en": user.last_name_en,
        "roles": sorted(user.role_names),
        "national_id": nid.masked(user.national_id) or None,
    })


# The blueprint lives under /accounts; its API route sits beside the other /api/... routes.
bp.record_once(lambda state: state.app.add_url_rule("/api/me", "accounts.api_me", api_me))
