"""HTTP views of accounts: register and confirm the email, log in and out, reset a forgotten
password, the candidate's profile, /api/me. The session checks of every request live here too
(before_app_request): a session whose account token changed, or that outlived its idle or
absolute limit, ends."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..common import national_id as nid
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.urls import external_url, safe_next
from ..extensions import limiter
from . import bp, services, sessions
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from .models import Role


def _client_ip() -> str:
    return request.remote_addr or ""


def _links() -> services.Links:
    return services.Links(
        verify=lambda token: external_url("accounts.verify_email", token=token),
        reset=lambda token: external_url("accounts.reset_password", token=token),
        login=external_url("accounts.login"),
        forgot=external_url("accounts.forgot_password"),
    )


def _start_session(user) -> None:
    """Log `user` in on a fresh session (only the language carries over)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session.permanent = True
    sessions.stamp(session)


# ---- throttling: failed log-ins only, never a lock ----------------------------------------


def _failed(response) -> bool:
    return response.status_code == 401


def _account_and_address() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"login:{_client_ip()}:{email}"


def _too_many_attempts() -> str:
    return _(
        "Too many attempts from here. Wait a few minutes and try again, or set a new "
        "password with \u201cForgot your password?\u201d."
    )


def end_browser_session() -> None:
    """Forget the login in this browser, with the session's login and last-seen times."""
    logout_user()
    session.pop(sessions.AUTH_AT, None)
    session.pop(sessions.SEEN_AT, None)


@bp.before_app_request
def _check_session():
    """End a session that outlived its limits; otherwise note this request as its last."""
    if "_user_id" not in session or request.endpoint in ("static", "main.font"):
        return None
    if not current_user.is_authenticated:  # the token changed: ended elsewhere
        session.pop(sessions.AUTH_AT, None)
        session.pop(sessions.SEEN_AT, None)
        return None
    cfg = current_app.config
    reason = sessions.expiry_reason(
        session,
        idle=timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]),
    )
    if reason is None:
        session[sessions.SEEN_AT] = sessions.stamp({})[sessions.SEEN_AT]
        return None
    end_browser_session()
    message = (
        _("You were away for a while, so you have been logged out. Please log in again.")
        if reason == "idle"
        else _("Your session has reached its time limit. Please log in again.")
    )
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "error": "session_expired", "message": message}), 401
    flash(message, "warning")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=safe_next(target)))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["ACCOUNT_EMAIL_RATE_LIMIT"], methods=["POST"], error_message=_too_many_attempts
)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            services.register_candidate(form.registration(), _links(), ip=_client_ip())
        except DomainError as err:
            show_error(form, err)
        else:
            # The same page whether the account was made or the email / national ID is taken.
            return render_template(
                "accounts/check_email.html", email=form.email.data.lower(), purpose="register"
            )
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/verify/<token>")
def verify_email(token: str):
    try:
        services.verify_email(token, ip=_client_ip())
    except DomainError as err:
        return render_template("accounts/link_invalid.html", message=err.message), 400
    flash(_("Your email address is confirmed. You can now log in."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=_failed,
    error_message=_too_many_attempts,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    key_func=_account_and_address,
    deduct_when=_failed,
    error_message=_too_many_attempts,
)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("main.index"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, _links(), ip=_client_ip())
        except services.LoginFailed as err:
            return render_template("accounts/login.html", form=form, failure=err.message), 401
        _start_session(user)
        flash(_("You are logged in."), "success")
        return redirect(safe_next(form.next.data) or url_for("main.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form, failure=None), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sessions.log_out(current_user._get_current_object(), ip=_client_ip())
    end_browser_session()
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/sessions/end-all", methods=["POST"])
@login_required
def sign_out_everywhere():
    sessions.sign_out_everywhere(current_user._get_current_object(), ip=_client_ip())
    end_browser_session()
    flash(_("You have been signed out on every device. Log in again to continue."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["ACCOUNT_EMAIL_RATE_LIMIT"], methods=["POST"], error_message=_too_many_attempts
)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, _links())
        return render_template("accounts/check_email.html", email=form.email.data.lower(), purpose="reset")
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.check_reset_token(token)
    except DomainError as err:
        return render_template("accounts/link_invalid.html", message=err.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data, ip=_client_ip())
        except DomainError as err:
            show_error(form, err)
        else:
            logout_user()
            flash(_("Your password has been changed. Log in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form), status


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
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.old_password.data, form.password.data, ip=_client_ip())
        except DomainError as err:
            show_error(form, err)
        else:
            _start_session(user)  # every other session has ended; this one goes on
            flash(_("Your password has been changed. Your other sessions have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status


def api_me():
    """Who is logged in, for scripts and pages; 401 JSON (not a redirect) when nobody is."""
    if not current_user.is_authenticated:
        return jsonify(
            {"ok": False, "error": "unauthorized", "message": _("Log in to use this service.")}
        ), 401
    user = current_user
    return jsonify(
        {
            "ok": True,
            "id": user.id,
            "email": user.email,
            "first_name_th": user.first_name_th,
            "last_name_th": user.last_name_th,
            "first_name_en": user.first_name_en,
            "last_name_en": user.last_name_en,
            "roles": sorted(user.role_names),
            "national_id": nid.masked(user.national_id) or None,
        }
    )


# The blueprint lives under /accounts; its API route sits beside the other /api/... routes.
bp.record_once(lambda state: state.app.add_url_rule("/api/me", "accounts.api_me", api_me))
