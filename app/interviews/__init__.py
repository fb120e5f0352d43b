"""Part C (ภาค ค): interview panels, rubrics, scheduling and live panel scoring."""

from flask import Blueprint

bp = Blueprint("interviews", __name__)

from . import (  # noqa: F401  (register routes)
    candidate_views,
    hr_views,
    panel_views,
    progress,
    video_views,
)
