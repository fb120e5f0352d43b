"""Test centres: venues, their rooms (seats, accessible seats, equipment) and the rooms of sittings."""

from flask import Blueprint

bp = Blueprint("centres", __name__)

from . import views  # noqa: F401  (register the routes on bp)
