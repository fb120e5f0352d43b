"""HTTP views (placeholders: being written)."""
from . import bp


@bp.route("/applications")
def mine():
    return "mine placeholder"
