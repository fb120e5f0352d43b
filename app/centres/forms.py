"""Forms of HR's test-centre pages: a centre, a room, attaching a room to a sitting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..common.forms import AppForm, strip


class VenueForm(AppForm):
    name_th = StringField(_l("Name (Thai)"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), filters=[strip], validators=[Optional(), Length(max=200)])
    address_th = TextAreaField(_l("Address"), filters=[strip], validators=[Optional(), Length(max=2000)])


class RoomForm(AppForm):
    code = StringField(_l("Room"), filters=[strip], validators=[DataRequired(), Length(max=40)])
    seats = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1, max=2000)])
    accessible_seats = IntegerField(
        _l("Accessible seats"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=2000)],
        description=_l("Seats 1 to N of the room, kept for candidates of the disability track."),
    )
    computers = BooleanField(_l("A computer at every seat (online Part A)"))
    provides = SelectMultipleField(
        _l("The room provides"),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )


class AttachRoomForm(AppForm):
    room_id = SelectField(_l("Room"), coerce=int, validators=[InputRequired()])
