"""Forms of HR's exam pages: scheduling a sitting, seating candidates, verifying a certificate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..common.clock import to_utc
from ..common.forms import AppForm, ThaiDateTimeLocalField
from ..common.forms import strip as strip_text
from . import timing

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
NO_ROUND = 0


class SittingForm(AppForm):
    exam_id = SelectField(_l("Exam"), coerce=int, validators=[InputRequired()])
    round_id = SelectField(
        _l("Recruitment round"),
        coerce=int,
        default=NO_ROUND,
        description=_l("Leave empty for a Part A sitting open to any candidate you seat yourself."),
    )
    title_th = StringField(
        _l("Title (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=300)]
    )
    title_en = StringField(
        _l("Title (English)"), filters=[strip_text], validators=[Optional(), Length(max=300)]
    )
    timing_mode = SelectField(_l("Timing"), default=timing.SYNCHRONIZED, validators=[DataRequired()])
    starts_at = ThaiDateTimeLocalField(
        _l("Starts"), format=DATETIME_LOCAL, description=_l("Bangkok time."), validators=[InputRequired()]
    )
    window_ends_at = ThaiDateTimeLocalField(
        _l("Window ends"),
        format=DATETIME_LOCAL,
        validators=[Optional()],
        description=_l("Window timing only: the last moment a candidate may begin (Bangkok time)."),
    )
    late_entry_minutes = IntegerField(
        _l("Late entry (minutes)"),
        default=30,
        description=_l(
            "Synchronized timing: how long after the start a candidate may still begin, without extra time."
        ),
        validators=[InputRequired(), NumberRange(min=0, max=240, message=_l("From 0 to 240 minutes."))],
        render_kw={"inputmode": "numeric", "min": "0", "max": "240"},
    )
    checkin_opens_minutes = IntegerField(
        _l("Check-in opens (minutes before the start)"),
        default=60,
        validators=[InputRequired(), NumberRange(min=0, max=1440, message=_l("From 0 to 1,440 minutes."))],
        render_kw={"inputmode": "numeric", "min": "0", "max": "1440"},
    )

    def __init__(self, exams=(), rounds=(), locale: str = "th", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exam_id.choices = [(e.id, f"{e.code} · {e.title(locale)}") for e in exams]
        self.round_id.choices = [(NO_ROUND, _l("— no round (Part A only) —"))] + [
            (r.id, f"{r.code} · {r.title(locale)}") for r in rounds
        ]
        self.timing_mode.choices = [
            (timing.SYNCHRONIZED, _l("Synchronized: everyone starts when the proctor starts")),
            (timing.WINDOW, _l("Window: each candidate starts within a time window")),
        ]

    def values(self) -> dict:
        """Keyword arguments of sittings.schedule_sitting (times made UTC)."""
        return {
            "title_th": self.title_th.data or "",
            "title_en": self.title_en.data or "",
            "timing_mode": self.timing_mode.data,
            "starts_at": to_utc(self.starts_at.data) if self.starts_at.data else None,
            "window_ends_at": (to_utc(self.window_ends_at.data) if self.window_ends_at.data else None),
            "late_entry_minutes": self.late_entry_minutes.data,
            "checkin_opens_minutes": self.checkin_opens_minutes.data,
        }


class SeatRoundForm(AppForm):
    room_prefix = StringField(
        _l("Room name prefix"),
        filters=[strip_text],
        description=_l('Rooms are named prefix + 1, 2, 3…; for example "B2-" gives B2-1, B2-2.'),
        validators=[Optional(), Length(max=30)],
    )
    seats_per_room = IntegerField(
        _l("Seats per room"),
        default=40,
        validators=[InputRequired(), NumberRange(min=1, max=500, message=_l("From 1 to 500."))],
        render_kw={"inputmode": "numeric", "min": "1", "max": "500"},
    )


class SeatCandidateForm(AppForm):
    national_id = StringField(
        _l("Candidate's national ID"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    room = StringField(_l("Room"), filters=[strip_text], validators=[DataRequired(), Length(max=40)])
    seat = StringField(_l("Seat"), filters=[strip_text], validators=[DataRequired(), Length(max=20)])


class AssignProctorForm(AppForm):
    user_id = SelectField(_l("Proctor"), coerce=int, validators=[InputRequired()])

    def __init__(self, proctors=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [(u.id, f"{u.full_name_th} · {u.email}") for u in proctors]


class UnassignProctorForm(AppForm):
    """A button: take one proctor off the sitting."""


class IssueCertificatesForm(AppForm):
    """A button: issue the pass certificates of a sitting (publishing Part A results)."""


class VerifyForm(AppForm):
    """The public "enter a code" box (GET, changes nothing: no CSRF)."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Verification code"),
        filters=[strip_text],
        description=_l("12 letters and digits, for example ABCD-EFGH-JKLM."),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
