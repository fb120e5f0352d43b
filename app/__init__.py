"""BMA Recruit: the application factory."""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import SecurityError

from config import BASE_DIR, config

from .common.errors import DomainError
from .common.headers import PERMISSIONS_POLICY, csp_for
from .common.sockets import SocketSessionInterface
from .common.urls import safe_next
from .extensions import babel, csrf, db, limiter, login_manager, migrate, socketio, talisman

# Pages and downloads a shared cache may keep: the rest can carry personal data (no-store).
CACHEABLE_ENDPOINTS = {"static", "main.font"}


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    config_name = config_name or os.environ.get("FLASK_CONFIG", "default")
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    cfg = config[config_name]
    app.config.from_object(cfg)
    app.config.update(overrides or {})
    if hasattr(cfg, "check"):
        cfg.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.session_interface = SocketSessionInterface()

    _init_extensions(app)
    _init_security_headers(app)
    _register_blueprints(app)
    _register_template_globals(app)
    _register_error_handlers(app)
    _register_cli(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def _init_extensions(app: Flask) -> None:
    from .common import db_ping
    from .common.i18n import register_template_helpers, select_locale

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get(
            "pool_pre_ping"
        ):
            db_ping.ping_when_idle(db.engine, app.config["DB_PING_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "warning"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=app.config["BABEL_TRANSLATION_DIRECTORIES"],
    )
    register_template_helpers(app)
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"] or None
    from .common import websocket
    from .common.socket_rooms import client_manager
    from .common.sockets import MAX_MESSAGE_BYTES, TextPacket, name_the_socketio_path

    # (Above the protocol's MAX_EVENT_BYTES, so that an oversized event is read and refused
    # with `too_large`, not cut off with the connection: docs/realtime.md.)
    websocket.configure(app.config["WEBSOCKET_COMPRESSION"])
    manager = client_manager(queue, app.config["SOCKETIO_CHANNEL"])
    socketio.init_app(
        app,
        message_queue=queue,
        channel=app.config["SOCKETIO_CHANNEL"],
        **({"client_manager": manager} if manager is not None else {}),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        serializer=TextPacket,
    )
    name_the_socketio_path(app)  # (no NotFound, and its reference cycles, per event)

    from . import models  # noqa: F401  (registers every table on the metadata)
    from .accounts import sessions
    from .accounts.models import User

    @login_manager.unauthorized_handler
    def _unauthorized():
        # API clients get a 401 they can act on; people get the login page.
        if _wants_json():
            return jsonify({"ok": False, "error": "unauthorized", "message": "Log in first."}), 401
        flash(_("Please log in to see that page."), "warning")
        return redirect(url_for("accounts.login", next=safe_next(request.full_path.rstrip("?"))))

    @login_manager.user_loader
    def _load_user(login_id: str):
        # "<id>:<session token>": a token the account no longer has is a session that ended.
        parsed = sessions.parse_login_id(login_id)
        if parsed is None:
            return None
        user = db.session.get(User, parsed[0])
        return user if user is not None and sessions.token_matches(user, parsed[1]) else None


def _init_security_headers(app: Flask) -> None:
    """flask-talisman sets CSP, frame-ancestors, nosniff, Referrer-Policy, Permissions-Policy
    and, in production, HSTS. No redirect to https here: nginx does that (deploy/nginx), and
    tests and `make run` are plain http on 127.0.0.1."""
    talisman.init_app(
        app,
        force_https=False,
        content_security_policy=csp_for(app.config["JANUS_WS_URL"]),
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        strict_transport_security=app.config["FORCE_HTTPS"],
        strict_transport_security_max_age=365 * 24 * 3600,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

    @app.after_request
    def _no_store_by_default(response):
        # Every page and download may show someone's personal data: no cache keeps it unless
        # the view said otherwise (public lists: "public, max-age=300"; static files).
        if request.endpoint not in CACHEABLE_ENDPOINTS and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


def _register_blueprints(app: Flask) -> None:
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .applications import bp as applications_bp
    from .background import bp as background_bp
    from .booking import bp as booking_bp
    from .centres import bp as centres_bp
    from .exams import bp as exams_bp
    from .exams import events  # noqa: F401  (registers the Socket.IO namespaces)
    from .interviews import bp as interviews_bp
    from .interviews import events as panel_events  # noqa: F401
    from .main import bp as main_bp
    from .merit import bp as merit_bp
    from .partners import bp as partners_bp
    from .payments import bp as payments_bp
    from .recruitment import bp as recruitment_bp
    from .scholarships import bp as scholarships_bp
    from .scores import bp as scores_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(recruitment_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(exams_bp)
    app.register_blueprint(interviews_bp)
    app.register_blueprint(merit_bp)
    app.register_blueprint(scores_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(scholarships_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(centres_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(background_bp)


def _register_template_globals(app: Flask) -> None:
    from . import templating

    templating.register(app)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(err: DomainError):
        if _wants_json():
            return jsonify(err.to_dict()), err.status_code
        return render_template(
            "errors/error.html", code=err.status_code, message=err.message
        ), err.status_code

    def _http_error(err):
        code = getattr(err, "code", 500) or 500
        if isinstance(err, SecurityError):  # a Host outside TRUSTED_HOSTS: no page, no links
            return "Bad request: unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}
        if _wants_json():
            return jsonify(
                {
                    "ok": False,
                    "error": getattr(err, "name", "error").lower().replace(" ", "_"),
                    "message": getattr(err, "description", ""),
                }
            ), code
        # Werkzeug's own description is English only: the page then says its own, translated words
        # (errors/error.html); a description a view gave to abort() is ours and already translated.
        message = getattr(err, "description", "")
        if message == getattr(type(err), "description", None):
            message = ""
        return render_template("errors/error.html", code=code, message=message), code

    for code in (400, 403, 404, 405, 409, 413, 422, 429, 500):
        app.register_error_handler(code, _http_error)


def _register_cli(app: Flask) -> None:
    from .audit.cli import audit_cli
    from .backup.cli import backup_cli
    from .exams.cli import bank_cli
    from .jobs_runner import jobs_cli
    from .main.cli import demo_cli
    from .merit.cli import merit_cli
    from .notifications.cli import outbox_cli
    from .scholarships.cli import scholarships_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(bank_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(merit_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scholarships_cli)
