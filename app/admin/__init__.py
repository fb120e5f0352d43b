"""Admin capability."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import views  # noqa: F401  (registers the routes on bp)
