"""HTTP views (placeholders: being written)."""
from . import bp


@bp.route("/rounds")
def browse():
    return "browse placeholder"


@bp.route("/rounds/<int:round_id>")
def round_detail(round_id):
    return "round placeholder"


@bp.route("/hr/rounds")
def hr_rounds():
    return "hr rounds placeholder"


@bp.route("/hr/positions")
def hr_positions():
    return "hr positions placeholder"
