"""The MOU channel: partner organisations, their agreements with BMA agencies, and nominations
to the rounds opened under an agreement."""
from flask import Blueprint

bp = Blueprint("partners", __name__)

from . import services  # noqa: E402,F401  (reserves agreement rounds for nominees)
from . import views  # noqa: E402,F401  (registers the routes on bp)
