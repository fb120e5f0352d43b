"""BMA Recruit: the application factory."""
from __future__ import annotations

import os
import sqlite3

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import BASE_DIR, config

from .common.errors import DomainError
from .common.sockets import SocketSessionInterface
from .extensions import babel, csrf, db, limiter, login_manager, migrate, socketio


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    config_name = config_name or os.environ.get("FLASK_CONFIG", "default")
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    cfg = config[config_name]
    if hasattr(cfg, "check"):
        cfg.check()
    app.config.from_object(cfg)
    app.config.update(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    app.session_interface = SocketSessionInterface()

    _init_extensions(app)
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
    from .common.i18n import register_template_helpers, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "warning"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=app.config["BABEL_TRANSLATION_DIRECTORIES"])
    register_template_helpers(app)
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"] or None
    socketio.init_app(app, message_queue=queue, channel=app.config["SOCKETIO_CHANNEL"],
                      async_mode=app.config["SOCKETIO_ASYNC_MODE"])

    from . import models  # noqa: F401  (registers every table on the metadata)
    from .accounts.models import User

    @login_manager.unauthorized_handler
    def _unauthorized():
        # API clients get a 401 they can act on; people get the login page.
        if _wants_json():
            return jsonify({"ok": False, "error": "unauthorized",
                            "message": "Log in first."}), 401
        flash(_("Please log in to see that page."), "warning")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    @login_manager.user_loader
    def _load_user(user_id: str):
        return db.session.get(User, int(user_id))


def _register_blueprints(app: Flask) -> None:
    from .exams import events  # noqa: F401  (registers the Socket.IO namespaces)
    from .interviews import events as panel_events  # noqa: F401
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .applications import bp as applications_bp
    from .exams import bp as exams_bp
    from .interviews import bp as interviews_bp
    from .merit import bp as merit_bp
    from .scores import bp as scores_bp
    from .main import bp as main_bp
    from .recruitment import bp as recruitment_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(recruitment_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(exams_bp)
    app.register_blueprint(interviews_bp)
    app.register_blueprint(merit_bp)
    app.register_blueprint(scores_bp)


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
        return render_template("errors/error.html", code=err.status_code,
                               message=err.message), err.status_code

    def _http_error(err):
        code = getattr(err, "code", 500) or 500
        if _wants_json():
            return jsonify({"ok": False, "error": getattr(err, "name", "error").lower()
                            .replace(" ", "_"), "message": getattr(err, "description", "")}), code
        return render_template("errors/error.html", code=code,
                               message=getattr(err, "description", "")), code

    for code in (400, 403, 404, 405, 409, 413, 422, 429, 500):
        app.register_error_handler(code, _http_error)


def _register_cli(app: Flask) -> None:
    from .audit.cli import audit_cli
    from .exams.cli import bank_cli
    from .jobs_runner import jobs_cli
    from .main.cli import demo_cli
    from .merit.cli import merit_cli
    from .notifications.cli import outbox_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(bank_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(merit_cli)
    app.cli.add_command(jobs_cli)
