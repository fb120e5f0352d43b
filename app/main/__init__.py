"""Home page, language switch, the self-hosted Sarabun webfont, the candidate dashboard entry."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import views  # noqa: F401
