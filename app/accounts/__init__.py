"""Accounts capability."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import views  # noqa: F401  (registers the routes on bp)
