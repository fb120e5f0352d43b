"""The scholarship channel: contracts, placement rounds reserved for scholars, appointment and
the service obligation."""
from flask import Blueprint

bp = Blueprint("scholarships", __name__)

from . import services  # noqa: E402,F401  (reserves placement rounds for scholars)
from . import views  # noqa: E402,F401  (registers the routes on bp)
