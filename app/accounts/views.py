"""HTTP views (placeholders: being written)."""
from . import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    return "login placeholder"


@bp.route("/register", methods=["GET", "POST"])
def register():
    return "register placeholder"


@bp.route("/logout", methods=["POST"])
def logout():
    return "logout placeholder"


@bp.route("/profile")
def profile():
    return "profile placeholder"
