"""Applications capability."""

from flask import Blueprint

bp = Blueprint("applications", __name__)

from . import views  # noqa: F401  (registers the routes on bp)
