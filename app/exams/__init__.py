"""Exams: the item bank, blueprints, sittings, check-in, the Part A online test and its scoring."""

from flask import Blueprint, g

bp = Blueprint("exams", __name__)


@bp.record_once
def _give_back_hot_connections(state) -> None:
    """An event refused half-way (time up, paused, ...) gives the online test's own
    connection back when its context ends (services._hot_connection)."""
    from .services import _hot_done  # (services imports this package's models)

    state.app.teardown_appcontext(lambda _exc: _hot_done() if "_hot_connection" in g else None)


from . import hr_views, views  # noqa: F401  (register the routes on bp)
