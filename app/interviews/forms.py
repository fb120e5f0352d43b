"""Forms of HR's interview pages (panels, members, rubric, slots, automatic scheduling) and of
the candidate's (confirm, move, unavailable times, check-in)."""

from __future__ import annotations

import re
from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..common.clock import to_utc
from ..common.forms import AppForm, ThaiDateField, ThaiDateTimeLocalField
from ..common.forms import strip as strip_text

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
BREAK_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def _mode_choices():
    return [("online", _l("Online (meeting link)")), ("onsite", _l("On site (room)"))]


class PanelForm(AppForm):
    name = StringField(_l("Panel name"), filters=[strip_text], validators=[DataRequired(), Length(max=200)])
    quorum = IntegerField(
        _l("Quorum (scoring members)"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=15)],
        render_kw={"inputmode": "numeric", "min": "1", "max": "15"},
    )
    aggregate = SelectField(
        _l("Part C score from the members' totals"),
        default="mean",
        choices=[("mean", _l("Mean")), ("median", _l("Median"))],
    )
    spread_threshold = DecimalField(
        _l("Spread threshold (points)"),
        default=15,
        places=2,
        description=_l("The chair is warned when members' totals differ by more than this."),
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )
    mode = SelectField(_l("Mode"), default="online", choices=_mode_choices())
    meeting_link = StringField(
        _l("Meeting link"),
        filters=[strip_text],
        description=_l("Online: the panel's link (a slot may have its own)."),
        validators=[Optional(), Length(max=500)],
    )
    room = StringField(_l("Room"), filters=[strip_text], validators=[Optional(), Length(max=200)])

    def values(self) -> dict:
        return dict(
            name=self.name.data,
            quorum=self.quorum.data,
            aggregate=self.aggregate.data,
            spread_threshold=self.spread_threshold.data,
            mode=self.mode.data,
            meeting_link=self.meeting_link.data or "",
            room=self.room.data or "",
        )


class MemberForm(AppForm):
    user_id = SelectField(_l("Member"), coerce=int, validators=[InputRequired()])
    role = SelectField(
        _l("Role"), default="member", choices=[("member", _l("Member")), ("chair", _l("Chair"))]
    )

    def __init__(self, users=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [(u.id, f"{u.full_name_th} · {u.email}") for u in users]


class ActingChairForm(AppForm):
    """HR names who presides over an interview whose chair declared a conflict: one of the
    candidate's scoring members (conflicts.scoring_members)."""

    user_id = SelectField(
        _l("Presiding member"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose the member who presides."))],
    )

    def __init__(self, users=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [(u.id, u.full_name_th) for u in users]


class HrMoveForm(AppForm):
    """HR moves a booked interview to another free slot of the round, saying why."""

    slot_id = SelectField(
        _l("New time"), coerce=int, validators=[InputRequired(message=_l("Choose the new time."))]
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("The candidate reads it in the email that gives the new time."),
        validators=[DataRequired(message=_l("Give the reason for moving the interview.")), Length(max=500)],
    )

    def __init__(self, slots=(), label=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_id.choices = [SelectChoice(s.id, label(s) if label else str(s.id)) for s in slots]


class ButtonForm(AppForm):
    """A button that changes something (CSRF only)."""


class CriterionForm(AppForm):
    code = StringField(
        _l("Code"),
        filters=[strip_text],
        description=_l("Lower-case letters, digits and _, e.g. leadership."),
        validators=[DataRequired(), Length(max=40)],
    )
    title_th = StringField(
        _l("Title (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=200)]
    )
    title_en = StringField(
        _l("Title (English)"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    max_points = DecimalField(
        _l("Maximum points"), places=2, validators=[InputRequired(), NumberRange(min=0.01, max=1000)]
    )
    descriptors = TextAreaField(
        _l("Levels"),
        filters=[strip_text],
        validators=[Optional(), Length(max=5000)],
        description=_l("One level a line: points | Thai description | English description."),
    )

    def levels(self) -> list[dict]:
        out = []
        for line in (self.descriptors.data or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            out.append(
                {
                    "points": parts[0],
                    "th": parts[1] if len(parts) > 1 else "",
                    "en": parts[2] if len(parts) > 2 else "",
                }
            )
        return out

    def values(self) -> dict:
        return dict(
            code=self.code.data,
            title_th=self.title_th.data,
            title_en=self.title_en.data or "",
            max_points=self.max_points.data,
            descriptors=self.levels(),
        )


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


WEEKDAY_CHOICES = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
]


class SlotsForm(AppForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    start_date = ThaiDateField(_l("First day"), validators=[InputRequired()])
    end_date = ThaiDateField(_l("Last day"), validators=[InputRequired()])
    day_start = TimeField(
        _l("Day starts"), default=time(9), validators=[InputRequired()], description=_l("Bangkok time.")
    )
    day_end = TimeField(_l("Day ends"), default=time(16), validators=[InputRequired()])
    breaks = StringField(
        _l("Breaks"),
        filters=[strip_text],
        default="12:00-13:00",
        description=_l("Comma-separated, e.g. 10:30-10:45, 12:00-13:00."),
        validators=[Optional(), Length(max=300)],
    )
    slot_minutes = IntegerField(
        _l("Slot length (minutes)"),
        default=30,
        validators=[InputRequired(), NumberRange(min=5, max=480)],
        render_kw={"inputmode": "numeric", "min": "5", "max": "480"},
    )
    weekdays = MultiCheckboxField(
        _l("Weekdays"),
        coerce=int,
        choices=WEEKDAY_CHOICES,
        default=[0, 1, 2, 3, 4],
        render_kw={"class": "checkbox-list"},
    )
    mode = SelectField(_l("Mode"), choices=_mode_choices())
    meeting_link = StringField(
        _l("Meeting link for these slots"),
        filters=[strip_text],
        description=_l("Empty: the panel's link."),
        validators=[Optional(), Length(max=500)],
    )
    room = StringField(
        _l("Room for these slots"),
        filters=[strip_text],
        description=_l("Empty: the panel's room."),
        validators=[Optional(), Length(max=200)],
    )
    accessible = BooleanField(_l("Accessible (for approved screen reader or assistant)"))

    def __init__(self, panels=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.panel_id.choices = [(p.id, p.name) for p in panels]

    def validate_breaks(self, field):
        try:
            self.break_times()
        except ValueError:
            raise ValidationError(_l("Write each break as 12:00-13:00.")) from None

    def break_times(self) -> list[tuple[time, time]]:
        out = []
        for part in filter(None, (p.strip() for p in (self.breaks.data or "").split(","))):
            m = BREAK_RE.match(part)
            if not m:
                raise ValueError(part)
            h1, m1, h2, m2 = map(int, m.groups())
            out.append((time(h1, m1), time(h2, m2)))
        return out

    def values(self) -> dict:
        return dict(
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            day_start=self.day_start.data,
            day_end=self.day_end.data,
            breaks=self.break_times(),
            slot_minutes=self.slot_minutes.data,
            weekdays=self.weekdays.data or [],
            mode=self.mode.data,
            meeting_link=self.meeting_link.data or "",
            room=self.room.data or "",
            accessible=bool(self.accessible.data),
        )


class AutoScheduleForm(AppForm):
    accommodation_extra_minutes = IntegerField(
        _l("Extra minutes for approved extra time"),
        default=15,
        description=_l("Such candidates need a slot this much longer than the standard one."),
        validators=[InputRequired(), NumberRange(min=0, max=240)],
        render_kw={"inputmode": "numeric", "min": "0", "max": "240"},
    )


class MoveForm(AppForm):
    slot_id = RadioField(_l("New time"), coerce=int, validators=[InputRequired(message=_l("Choose a slot."))])

    def __init__(self, slots=(), label=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_id.choices = [SelectChoice(s.id, label(s) if label else str(s.id)) for s in slots]
        self.slot_id.pre_validate = lambda form: None  # the service says which slots may be taken


class UnavailableForm(AppForm):
    starts_at = ThaiDateTimeLocalField(
        _l("From"), format=DATETIME_LOCAL, description=_l("Bangkok time."), validators=[InputRequired()]
    )
    ends_at = ThaiDateTimeLocalField(_l("Until"), format=DATETIME_LOCAL, validators=[InputRequired()])
    note = StringField(_l("Note (optional)"), filters=[strip_text], validators=[Optional(), Length(max=300)])

    def values(self) -> dict:
        return dict(
            starts_at=to_utc(self.starts_at.data),
            ends_at=to_utc(self.ends_at.data),
            note=self.note.data or "",
        )
