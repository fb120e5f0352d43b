"""The MOU channel: partner organisations, their agreements with BMA agencies, and nominations
to the rounds opened under an agreement."""

from flask import Blueprint

bp = Blueprint("partners", __name__)

from . import nominees, views  # noqa: F401  (views register the routes on bp; nominees reserves agreement rounds for nominees)
