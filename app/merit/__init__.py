"""Merit lists: ranking, two-person publishing, official outputs, calling candidates, list use."""

from flask import Blueprint

bp = Blueprint("merit", __name__)

from . import (  # noqa: F401  (register routes)
    export_views,
    offer_views,
    services,
    views,
)
