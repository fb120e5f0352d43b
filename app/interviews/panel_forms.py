"""Forms of the panel's scoring page. They are sent over the /panel socket by static/js/panel.js
(the services check every value); the classes give the page its labels, ids and limits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from ..common.forms import AppForm


class DeclarationForm(AppForm):
    has_conflict = RadioField(
        _l("Conflict of interest with this candidate"),
        choices=[
            SelectChoice("no", _l("I have no conflict of interest with this candidate")),
            SelectChoice(
                "yes", _l("I have a conflict of interest with this candidate (I will not score them)")
            ),
        ],
        validators=[InputRequired(message=_l("Choose one."))],
    )
    note = TextAreaField(
        _l("What is the conflict?"),
        validators=[Length(max=2000)],
        description=_l(
            "Required when you declare a conflict: for example a "
            "relative, a colleague you supervise, a business "
            "partner."
        ),
        render_kw={"maxlength": 2000, "rows": 3},
    )


class CorrectionForm(AppForm):
    score = DecimalField(
        _l("Corrected Part C score"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0)],
        render_kw={"step": "0.01", "min": "0", "inputmode": "decimal"},
    )
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[InputRequired(), Length(max=2000)],
        description=_l(
            "Written to the audit log with the score before and after, and printed on the score sheet."
        ),
        render_kw={"maxlength": 2000, "rows": 3},
    )


def substitute_choices(users) -> list[SelectChoice]:
    return [SelectChoice(u.id, u.full_name_th) for u in users]


class SubstituteForm(AppForm):
    user_id = SelectField(
        _l("Substitute member"), coerce=int, validators=[InputRequired(message=_l("Choose the substitute."))]
    )
