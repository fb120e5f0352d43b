"""Exams: the item bank, blueprints, sittings, check-in, the Part A online test and its scoring."""

from flask import Blueprint

from . import hot

bp = Blueprint("exams", __name__)


@bp.record_once
def _give_back_hot_connections(state) -> None:
    """An event refused half-way (time up, paused, ...) gives the online test's own
    connection back when its context ends."""
    state.app.teardown_appcontext(hot.release)


from . import bank_views, calibration_views, hr_views, views  # noqa: F401  (register the routes on bp)
