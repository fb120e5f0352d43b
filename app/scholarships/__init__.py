"""The scholarship channel: contracts, placement rounds reserved for scholars, appointment and
the service obligation."""

from flask import Blueprint

bp = Blueprint("scholarships", __name__)

from . import services, views  # noqa: F401  (views register the routes on bp; services reserve placement rounds for scholars)
