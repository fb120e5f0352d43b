"""Seat booking: candidates choose a sitting at a test centre, seats held until paid, released by
the scheduler, waiting lists; HR's booking windows, fill rates and moves."""

from flask import Blueprint

bp = Blueprint("booking", __name__)

from . import views  # noqa: F401  (register the routes on bp; services answer their signals)
