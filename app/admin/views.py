"""HTTP views (placeholders: being written)."""
from . import bp


@bp.route("/")
def index():
    return "admin placeholder"
