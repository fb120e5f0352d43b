"""Merit lists: ranking, two-person publishing, official outputs, calling candidates, list use."""
from flask import Blueprint

bp = Blueprint("merit", __name__)

from . import export_views, offer_views, views  # noqa: E402,F401  (register routes)
from . import services  # noqa: E402,F401  (registers the guard on published lists)
