"""Background jobs: long work (importing scores, approving thousands, building a large export or
PDF) run outside the request, with its progress, result or error kept in a table and shown on a
page that polls a small JSON endpoint."""

from flask import Blueprint

bp = Blueprint("background", __name__)

from . import views  # noqa: F401
