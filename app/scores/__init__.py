"""Stage scores: each application's result at each stage of its round, whatever produced it."""

from flask import Blueprint

bp = Blueprint("scores", __name__)

from . import views  # noqa: F401
