"""Building a candidate's form from the exam blueprint: the same count per section and
difficulty band for everyone, items and choices shuffled from a stored seed."""

from __future__ import annotations

import random

from flask_babel import gettext as _

from ..common.errors import ValidationFailed
from .bank_import import items_for
from .models import Exam

BANDS = ("easy", "medium", "hard")
BAND_LABELS = {"easy": lambda: _("easy"), "medium": lambda: _("medium"), "hard": lambda: _("hard")}


def assemble_form(exam: Exam, seed: int) -> list[dict]:
    """The ordered questions of one form; the same exam, bank and seed give the same form."""
    rng = random.Random(seed)
    form: list[dict] = []
    for section in exam.sections:
        drawn = []
        for band in BANDS:
            want = int(section.get("draw", {}).get(band, 0))
            if not want:
                continue
            pool = items_for(exam.bank, section["code"], band)
            if len(pool) < want:
                raise ValidationFailed(
                    _(
                        "The bank has %(have)s %(band)s items in section %(section)s; the exam needs "
                        "%(want)s.",
                        have=len(pool),
                        band=BAND_LABELS[band](),
                        section=section["code"],
                        want=want,
                    )
                )
            drawn.extend(rng.sample(pool, want))
        if exam.shuffle_items:
            rng.shuffle(drawn)
        for item in drawn:
            version = item.current_version
            order = [c["id"] for c in version.choices]
            if exam.shuffle_choices and not version.fixed_order and version.item_type != "true_false":
                rng.shuffle(order)
            entry = {"version_id": version.id, "section": section["code"], "choice_order": order}
            if version.item_type != "single":  # (the answer event checks a payload by it)
                entry["type"] = version.item_type
            form.append(entry)
    return form


def section_layout(exam: Exam, form: list[dict]) -> list[dict]:
    """Sections as the candidate sees them: code, titles, first index and number of items."""
    layout = []
    for section in exam.sections:
        indices = [i for i, q in enumerate(form) if q["section"] == section["code"]]
        layout.append(
            {
                "code": section["code"],
                "title": section.get("title", {}),
                "start": indices[0] if indices else len(form),
                "count": len(indices),
                "points_per_item": section.get("points_per_item", 1),
                "time_limit_minutes": section.get("time_limit_minutes"),
            }
        )
    return layout
