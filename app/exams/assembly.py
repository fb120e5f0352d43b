"""Building a candidate's form from the exam blueprint: the same count per section and
difficulty band for everyone (or one of the exam's parallel forms), items and choices shuffled
from a stored seed."""

from __future__ import annotations

import random

from flask_babel import gettext as _
from sqlalchemy import select

from ..common.errors import ValidationFailed
from ..extensions import db
from . import parallel_forms
from .bank_import import items_for
from .models import Exam, ExamItem, ItemVersion

BANDS = ("easy", "medium", "hard")
BAND_LABELS = {"easy": lambda: _("easy"), "medium": lambda: _("medium"), "hard": lambda: _("hard")}


def assemble_form(exam: Exam, seed: int) -> list[dict]:
    """The ordered questions of one form; the same exam, bank and seed give the same form.

    An exam with parallel forms gives the candidate one of them (parallel_forms.form_items);
    otherwise the items are drawn at random per section and band. A section's blueprint may
    add unscored pretest items (new, uncalibrated ones), marked `"pretest": true`.
    """
    rng = random.Random(seed)
    assembled = parallel_forms.form_items(exam, seed)
    form: list[dict] = []
    for section in exam.sections:
        if assembled is None:
            drawn = [item.current_version for item in _draw_by_bands(exam, section, rng)]
        else:
            drawn = _versions([q["version_id"] for q in assembled if q["section"] == section["code"]])
        if exam.shuffle_items:
            rng.shuffle(drawn)
        questions = [(version, False) for version in drawn]
        pretest = parallel_forms.pretest_versions(
            exam, section["code"], int(section.get("pretest", 0)), {v.id for v in drawn}, rng
        )
        for version in pretest:  # among the scored items, so nothing tells them apart
            place = rng.randint(0, len(questions)) if exam.shuffle_items else len(questions)
            questions.insert(place, (version, True))
        for version, is_pretest in questions:
            order = [c["id"] for c in version.choices]
            if exam.shuffle_choices and not version.fixed_order and version.item_type != "true_false":
                rng.shuffle(order)
            question = {"version_id": version.id, "section": section["code"], "choice_order": order}
            if version.item_type != "single":  # (the answer event checks a payload by it)
                question["type"] = version.item_type
            for limit in ("min_choices", "max_choices"):  # (the answer event checks max)
                if getattr(version, limit, None):
                    question[limit] = getattr(version, limit)
            if is_pretest:
                question["pretest"] = True
            form.append(question)
    return form


def _draw_by_bands(exam: Exam, section: dict, rng: random.Random) -> list[ExamItem]:
    drawn = []
    for band in BANDS:
        want = int(section.get("draw", {}).get(band, 0))
        if not want:
            continue
        pool = items_for(exam.bank, section["code"], band)
        if len(pool) < want:
            raise ValidationFailed(
                _(
                    "The bank has %(have)s %(band)s items in section %(section)s; the exam needs %(want)s.",
                    have=len(pool),
                    band=BAND_LABELS[band](),
                    section=section["code"],
                    want=want,
                )
            )
        drawn.extend(rng.sample(pool, want))
    return drawn


def _versions(ids: list[int]) -> list[ItemVersion]:
    by_id = {v.id: v for v in db.session.scalars(select(ItemVersion).where(ItemVersion.id.in_(ids)))}
    return [by_id[i] for i in ids]


def is_scored(question: dict) -> bool:
    """Pretest items are on the form but not in the score."""
    return not question.get("pretest", False)


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
