"""Exams: the item bank, blueprints, sittings, check-in, the Part A online test and its scoring."""
from flask import Blueprint

bp = Blueprint("exams", __name__)

from . import hr_views, views  # noqa: E402,F401  (register the routes on bp)
