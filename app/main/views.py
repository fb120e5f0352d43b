"""Home, language switch, webfont, health check."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from fontpkg_sarabun import ROOT as SARABUN_ROOT
from sqlalchemy import text

from ..accounts.models import Role
from ..common import charts
from ..common.access import HR_ROLES
from ..common.i18n import current_locale
from ..common.urls import safe_next
from ..extensions import db
from ..recruitment.services import list_open_rounds
from . import bp, next_steps

FONT_DIR = SARABUN_ROOT / "files"
SERVED_FONTS = {
    "Sarabun-Regular.ttf",
    "Sarabun-Bold.ttf",
    "Sarabun-Italic.ttf",
    "Sarabun-SemiBold.ttf",
    "Sarabun-Light.ttf",
}


@bp.route("/")
def index():
    if current_user.is_authenticated and current_user.has_role(*HR_ROLES):
        return redirect(url_for("recruitment.hr_rounds"))
    steps = (
        next_steps.next_steps(current_user, current_locale())
        if current_user.is_authenticated and current_user.has_role(Role.CANDIDATE)
        else None
    )
    return render_template("main/index.html", rounds=list_open_rounds()[:6], next_steps=steps)


@bp.route("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    # Only ever back to a page of this site (common/urls.safe_next); the Referer is a full URL,
    # so only its path and query are kept, and only when it came from this host.
    target = safe_next(request.args.get("next")) or _same_site_referrer()
    return redirect(target or url_for("main.index"))


def _same_site_referrer() -> str | None:
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


@bp.route("/fonts/<name>")
def font(name: str):
    if name not in SERVED_FONTS:
        abort(404)
    response = send_from_directory(FONT_DIR, name, mimetype="font/ttf", max_age=86400 * 30)
    return response


@bp.route("/charts.css")
def charts_css():
    """The style of the charts drawn inline (app/common/charts.py): a stylesheet of our own
    origin, so the page's CSP needs no inline style."""
    return Response(
        charts.stylesheet(), mimetype="text/css", headers={"Cache-Control": "public, max-age=86400"}
    )


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify({"ok": True})
