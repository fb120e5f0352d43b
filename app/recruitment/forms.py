"""Forms of the recruitment capability: positions, rounds with their stages, status and window."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.labels import education_choices
from ..common.clock import BANGKOK
from ..common.forms import AppForm, ThaiDateField, ThaiDateTimeLocalField
from ..common.forms import strip as strip_text
from ..common.i18n import current_locale
from . import services
from .models import Accommodation, Mode, StageKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def lines(text: str | None) -> list[str]:
    """One entry per line, blanks dropped, duplicates kept out (in their first order)."""
    seen: list[str] = []
    for line in (text or "").splitlines():
        item = " ".join(line.split())
        if item and item not in seen:
            seen.append(item)
    return seen


def bangkok_local(value: datetime | None) -> datetime | None:
    """A stored UTC time as the naive Bangkok time a datetime-local input shows."""
    return value.astimezone(BANGKOK).replace(tzinfo=None) if value else None


def bangkok_time_field(label) -> ThaiDateTimeLocalField:
    """A required date and time, entered (and shown) in Bangkok time."""
    return ThaiDateTimeLocalField(
        label, format=DATETIME_LOCAL, description=_l("Bangkok time."), validators=[InputRequired()]
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PositionForm(AppForm):
    title_th = StringField(
        _l("Title (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=200)]
    )
    title_en = StringField(
        _l("Title (English)"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    level = StringField(
        _l("Level"),
        filters=[strip_text],
        description=_l("For example ปฏิบัติการ / Operational."),
        validators=[DataRequired(), Length(max=100)],
    )
    qualifications_th = TextAreaField(
        _l("Qualifications (Thai)"), filters=[strip_text], validators=[Optional(), Length(max=5000)]
    )
    qualifications_en = TextAreaField(
        _l("Qualifications (English)"), filters=[strip_text], validators=[Optional(), Length(max=5000)]
    )

    def values(self) -> dict:
        return {
            name: self[name].data or ""
            for name in ("title_th", "title_en", "level", "qualifications_th", "qualifications_en")
        }


class StageRowForm(Form):
    """One row of the stages table; the row's kind is fixed by its place in RoundForm."""

    included = BooleanField(_l("Included"))
    max_score = DecimalField(
        _l("Maximum score"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=Decimal("0.01"), max=Decimal("99999"), message=_l("Above zero, please.")),
        ],
        render_kw={"inputmode": "decimal", "step": "0.01", "min": "0"},
    )
    weight = DecimalField(
        _l("Weight"),
        places=2,
        default=Decimal("1"),
        validators=[Optional(), NumberRange(min=0, max=999, message=_l("Zero or more, please."))],
        render_kw={"inputmode": "decimal", "step": "0.01", "min": "0"},
    )
    pass_percent = DecimalField(
        _l("Pass mark (%)"),
        places=2,
        default=services.DEFAULT_PASS_PERCENT,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("A percentage from 0 to 100."))],
        render_kw={"inputmode": "decimal", "step": "0.01", "min": "0", "max": "100"},
    )
    counts_for_ranking = BooleanField(_l("Counts for ranking"))


class ChannelRoundForm(AppForm):
    """A round opened in a channel (MOU agreement, scholarship placement): the channel sets the
    mode, description and stages; HR enters the rest."""

    code = StringField(_l("Round code"), filters=[strip_text], validators=[DataRequired(), Length(max=30)])
    position_id = SelectField(_l("Position"), coerce=int)
    title_th = StringField(
        _l("Title (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=300)]
    )
    title_en = StringField(
        _l("Title (English)"), filters=[strip_text], validators=[Optional(), Length(max=300)]
    )
    opens_at = ThaiDateTimeLocalField(
        _l("Applications open"), format=DATETIME_LOCAL, validators=[InputRequired()]
    )
    closes_at = ThaiDateTimeLocalField(
        _l("Applications close"), format=DATETIME_LOCAL, validators=[InputRequired()]
    )
    vacancies = IntegerField(_l("Vacancies"), validators=[InputRequired(), NumberRange(min=1)])

    def draft(self) -> services.ChannelRound:
        return services.ChannelRound(
            code=self.code.data,
            position_id=self.position_id.data,
            title_th=self.title_th.data,
            title_en=self.title_en.data or "",
            opens_at=self.opens_at.data,
            closes_at=self.closes_at.data,
            vacancies=self.vacancies.data,
        )


class RoundForm(AppForm):
    code = StringField(
        _l("Round code"),
        filters=[strip_text],
        description=_l("Unique, for example CSC-2569-01."),
        validators=[DataRequired(), Length(max=30)],
    )
    position_id = SelectField(_l("Position"), coerce=int, validators=[InputRequired()])
    mode = SelectField(_l("Recruitment mode"), validators=[DataRequired()])
    title_th = StringField(
        _l("Title (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=300)]
    )
    title_en = StringField(
        _l("Title (English)"), filters=[strip_text], validators=[Optional(), Length(max=300)]
    )
    description_th = TextAreaField(
        _l("Announcement text (Thai)"), filters=[strip_text], validators=[Optional(), Length(max=20000)]
    )
    description_en = TextAreaField(
        _l("Announcement text (English)"), filters=[strip_text], validators=[Optional(), Length(max=20000)]
    )
    opens_at = bangkok_time_field(_l("Applications open"))
    closes_at = bangkok_time_field(_l("Applications close"))
    vacancies = IntegerField(
        _l("Vacancies"),
        validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Zero or more, please."))],
        render_kw={"inputmode": "numeric", "min": "0"},
    )
    eligible_headcount = IntegerField(
        _l("Eligible headcount"),
        validators=[Optional(), NumberRange(min=0, max=1000000, message=_l("Zero or more, please."))],
        description=_l(
            "Internal selection exams only: the employees eligible for the quota. "
            "When given, the vacancies are the quota's share of it, rounded down."
        ),
        render_kw={"inputmode": "numeric", "min": "0"},
    )
    quota_percent = DecimalField(
        _l("Quota (%)"),
        places=2,
        default=services.DEFAULT_INTERNAL_QUOTA_PERCENT,
        validators=[
            Optional(),
            NumberRange(min=Decimal("0.01"), max=100, message=_l("A percentage above 0, at most 100.")),
        ],
        description=_l("Internal selection exams only."),
        render_kw={"inputmode": "decimal", "step": "0.01", "min": "0", "max": "100"},
    )

    min_education_level = SelectField(_l("Minimum education"), validators=[Optional()])
    fields_of_study = TextAreaField(
        _l("Fields of study"),
        description=_l("One per line; leave empty for any field."),
        validators=[Optional(), Length(max=5000)],
    )
    min_gpa = DecimalField(
        _l("Minimum GPA"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=4, message=_l("GPA is between 0.00 and 4.00."))],
        render_kw={"inputmode": "decimal", "step": "0.01", "min": "0", "max": "4"},
    )
    min_age = IntegerField(
        _l("Minimum age"),
        validators=[Optional(), NumberRange(min=0, max=120, message=_l("An age from 0 to 120."))],
        description=_l("On the closing date."),
        render_kw={"inputmode": "numeric", "min": "0"},
    )
    max_age = IntegerField(
        _l("Maximum age"),
        validators=[Optional(), NumberRange(min=0, max=120, message=_l("An age from 0 to 120."))],
        description=_l("On the closing date."),
        render_kw={"inputmode": "numeric", "min": "0"},
    )
    min_service_years = IntegerField(
        _l("Minimum years of BMA service"),
        validators=[Optional(), NumberRange(min=0, max=60, message=_l("Zero or more, please."))],
        description=_l(
            "Internal rounds; an internal selection exam requires %(n)s when left empty.",
            n=services.DEFAULT_MIN_SERVICE_YEARS,
        ),
        render_kw={"inputmode": "numeric", "min": "0"},
    )
    requires_disability_registration = BooleanField(
        _l("Applicants need a disability registration card"),
        description=_l("Always required in the disability track."),
    )
    shortage_degrees = TextAreaField(
        _l("Shortage degrees"),
        description=_l("Shortage-qualification rounds: one degree per line."),
        validators=[Optional(), Length(max=5000)],
    )
    accommodations_offered = MultiCheckboxField(_l("Accommodations offered"), validators=[Optional()])

    use_default_stages = BooleanField(
        _l("Ignore the rows below and use the standard stages of the chosen mode")
    )
    part_a = FormField(StageRowForm)
    part_b = FormField(StageRowForm)
    part_c = FormField(StageRowForm)
    qualifications = FormField(StageRowForm)

    STAGE_ROWS = (StageKind.PART_A, StageKind.PART_B, StageKind.PART_C, StageKind.QUALIFICATIONS)

    def __init__(self, positions=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are built per request so that they follow the reader's language.
        self.position_id.choices = [
            (p.id, f"{p.title(current_locale())} ({services.position_level(p.level)})") for p in positions
        ]
        self.mode.choices = [(m, services.mode_label(m)) for m in Mode.ALL]
        self.min_education_level.choices = [("", _l("— no requirement —")), *education_choices()]
        self.accommodations_offered.choices = [
            (a, services.accommodation_label(a)) for a in Accommodation.ALL
        ]

    def stage_rows(self):
        """(kind, row form) in the order the table shows them."""
        return [(kind, self[kind]) for kind in self.STAGE_ROWS]

    def fill_stages(self, specs) -> None:
        """Prefill the rows from stage specs or stored stages (GET only)."""
        by_kind = {s.kind: s for s in specs}
        for kind, row in self.stage_rows():
            spec = by_kind.get(kind)
            row.included.data = spec is not None
            row.max_score.data = spec.max_score if spec else None
            row.weight.data = spec.weight if spec else Decimal("1")
            row.pass_percent.data = spec.pass_percent if spec else services.DEFAULT_PASS_PERCENT
            row.counts_for_ranking.data = bool(spec and spec.counts_for_ranking)

    def fill_from_round(self, round_) -> None:
        for name in services.ROUND_FIELDS:
            value = getattr(round_, name)
            if name in ("opens_at", "closes_at"):
                value = bangkok_local(value)
            elif name in ("fields_of_study", "shortage_degrees"):
                value = "\n".join(value or [])
            elif name == "accommodations_offered":
                value = list(value or [])
            elif name == "min_education_level":
                value = value or ""
            self[name].data = value
        if round_.quota_percent is None:
            self.quota_percent.data = services.DEFAULT_INTERNAL_QUOTA_PERCENT
        self.fill_stages(round_.stages)

    def values(self) -> dict:
        """What services.create_round / update_round expect (Bangkok input made UTC there)."""
        mode = self.mode.data
        internal = mode == Mode.SELECTION_EXAM
        return {
            "code": self.code.data,
            "position_id": self.position_id.data,
            "mode": mode,
            "title_th": self.title_th.data or "",
            "title_en": self.title_en.data or "",
            "description_th": self.description_th.data or "",
            "description_en": self.description_en.data or "",
            "opens_at": self.opens_at.data,
            "closes_at": self.closes_at.data,
            "vacancies": self.vacancies.data,
            "eligible_headcount": self.eligible_headcount.data if internal else None,
            "quota_percent": self.quota_percent.data if internal else None,
            "min_education_level": self.min_education_level.data or None,
            "fields_of_study": lines(self.fields_of_study.data),
            "min_gpa": (
                self.min_gpa.data.quantize(Decimal("0.01")) if self.min_gpa.data is not None else None
            ),
            "min_age": self.min_age.data,
            "max_age": self.max_age.data,
            "min_service_years": self.min_service_years.data,
            "requires_disability_registration": bool(self.requires_disability_registration.data),
            "shortage_degrees": lines(self.shortage_degrees.data),
            "accommodations_offered": list(self.accommodations_offered.data or []),
        }

    def stages(self) -> list[services.StageSpec] | None:
        """The included rows as stage specs; None = the mode's standard stages."""
        if self.use_default_stages.data:
            return None
        specs = []
        for kind, row in self.stage_rows():
            if not row.included.data:
                continue
            specs.append(
                services.StageSpec(
                    kind=kind,
                    max_score=row.max_score.data,
                    weight=row.weight.data if row.weight.data is not None else Decimal("1"),
                    pass_percent=(
                        row.pass_percent.data
                        if row.pass_percent.data is not None
                        else services.DEFAULT_PASS_PERCENT
                    ),
                    counts_for_ranking=bool(row.counts_for_ranking.data),
                )
            )
        return specs


class StatusForm(AppForm):
    """One form; each transition is a submit button carrying its status as name=status."""

    status = StringField(validators=[DataRequired()])
    note = StringField(
        _l("Note for the record (optional)"), filters=[strip_text], validators=[Optional(), Length(max=500)]
    )


class WindowForm(AppForm):
    closes_at = bangkok_time_field(_l("New closing date and time"))
    reason = StringField(
        _l("Reason for the change"), filters=[strip_text], validators=[DataRequired(), Length(max=500)]
    )


class ResultsDatesForm(AppForm):
    """The dates the round's stages announce their results by; one optional date per stage
    (the view shows the rows of the stages the round has)."""

    part_a = ThaiDateField(validators=[Optional()])
    part_b = ThaiDateField(validators=[Optional()])
    part_c = ThaiDateField(validators=[Optional()])
    qualifications = ThaiDateField(validators=[Optional()])
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("For example: as announced in the round's notice."),
        validators=[DataRequired(), Length(max=500)],
    )

    def __init__(self, round_=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = [s.kind for s in round_.stages] if round_ is not None else []
        for kind in self.kinds:
            self[kind].label.text = _l("%(stage)s: results announced by", stage=services.stage_label(kind))

    def fill(self, round_) -> None:
        for stage in round_.stages:
            self[stage.kind].data = stage.results_announced_on

    def dates(self) -> dict:
        return {kind: self[kind].data for kind in self.kinds}


class BrowseFilterForm(AppForm):
    """The GET filters of the public list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    agency = SelectField(_l("Agency"), validators=[Optional()], validate_choice=False)
    mode = SelectField(_l("Recruitment mode"), validators=[Optional()], validate_choice=False)

    def __init__(self, agencies=(), locale: str = "th", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency.choices = [("", _l("All agencies"))] + [(str(a.id), a.name(locale)) for a in agencies]
        self.mode.choices = [("", _l("All modes"))] + [(m, services.mode_label(m)) for m in Mode.ALL]

    def agency_id(self) -> int | None:
        value = self.agency.data or ""
        return int(value) if value.isdigit() else None

    def mode_value(self) -> str | None:
        return self.mode.data if self.mode.data in Mode.ALL else None
