"""Home, language switch, webfont, health check."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user
from fontpkg_sarabun import ROOT as SARABUN_ROOT
from sqlalchemy import text

from ..extensions import db
from ..recruitment.services import list_open_rounds
from ..common.access import HR_ROLES
from . import bp

FONT_DIR = SARABUN_ROOT / "files"
SERVED_FONTS = {"Sarabun-Regular.ttf", "Sarabun-Bold.ttf", "Sarabun-Italic.ttf",
                "Sarabun-SemiBold.ttf", "Sarabun-Light.ttf"}


@bp.route("/")
def index():
    if current_user.is_authenticated and current_user.has_role(*HR_ROLES):
        return redirect(url_for("recruitment.hr_rounds"))
    return render_template("main/index.html", rounds=list_open_rounds()[:6])


@bp.route("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    target = request.args.get("next") or request.referrer or url_for("main.index")
    # Only ever redirect within this site.
    parsed = urlparse(target)
    if parsed.netloc and parsed.netloc != request.host:
        target = url_for("main.index")
    return redirect(target)


@bp.route("/fonts/<name>")
def font(name: str):
    if name not in SERVED_FONTS:
        abort(404)
    response = send_from_directory(FONT_DIR, name, mimetype="font/ttf", max_age=86400 * 30)
    return response


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify({"ok": True})
