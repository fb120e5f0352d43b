"""Part C (ภาค ค): interview panels, rubrics, scheduling and live panel scoring."""
from flask import Blueprint

bp = Blueprint("interviews", __name__)

from . import candidate_views, hr_views, panel_views  # noqa: E402,F401  (register routes)
from . import progress  # noqa: E402,F401  (answers the lists' gates about Part C)
