"""What each roster page accepts: WTForms classes (through Flask-WTF), one per form.

Every field is bounded (lengths, numbers, ids, the planning range of dates), so bad input is
answered with 422 and a message in the page's language instead of failing deeper down (a
year 0001 leaves Python's dates when converted to UTC, an id of 10**20 leaves PostgreSQL's
integers). Messages are German source texts translated when they are shown (:class:`Text`),
like every other text of the pages.

CSRF is no field here: :func:`hotline.core.auth.check_csrf` checks Flask-WTF's token on every
POST to the roster pages before a handler runs, one mechanism for all forms of the app.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TimeField,
)
from wtforms.validators import (
    DateRange,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from hotline.core.form_texts import Text
from hotline.core.i18n import LANGUAGES, WEEKDAYS_DE, gettext
from hotline.core.models import Role
from hotline.core.oncall.models import OperatorStatus
from hotline.core.oncall.operators import KNOWN_LANGUAGES
from hotline.rosters.bounds import EARLIEST, FIRST_DAY, LAST_DAY, LATEST
from hotline.rosters.operator_edits import MAX_NAME_LENGTH
from hotline.rosters.staffing import MAX_REQUIRED

REQUIRED = Text("Bitte ausfüllen.")
CHOOSE = Text("Bitte einen Wert wählen.")
NOT_OFFERED = Text("Bitte einen der angebotenen Werte wählen.")
WHOLE_NUMBER = Text("Bitte eine ganze Zahl angeben.")
NUMBER_RANGE = Text("Bitte eine Zahl von %(min)s bis %(max)s angeben.")
TOO_LONG = Text("Höchstens %(max)d Zeichen.")
DATE_AND_TIME = Text("Bitte Datum und Uhrzeit angeben, z. B. 2030-01-07T20:00.")
DATE = Text("Bitte ein Datum angeben, z. B. 2030-01-07.")
TIME = Text("Bitte eine Uhrzeit angeben, z. B. 20:00.")
PLANNING_RANGE = Text(
    "Bitte ein Datum von {first} bis {last} angeben.",
    first=FIRST_DAY.isoformat(),
    last=LAST_DAY.isoformat(),
)

#: Largest id a form accepts (ids are PostgreSQL integers).
MAX_ID = 2**31 - 1
#: Longest username and display name the accounts table holds.
MAX_ACCOUNT_NAME = 120
#: Passwords are hashed with scrypt; a megabyte of password is an attack, not a password.
MAX_PASSWORD = 1024
MAX_NOTE = 200
MAX_PHONE = 40
MAX_EXCEPTIONS = 60
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class RosterForm(FlaskForm):
    """A roster form: field errors, or the domain's refusal, as one message for the page."""

    class Meta:
        csrf = False  # checked for every POST by hotline.core.auth.check_csrf

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refusal: str | None = None

    def refuse(self, message: str) -> None:
        """The domain function said no (its message, already in the page's language)."""
        self.refusal = message

    @property
    def error(self) -> str | None:
        if self.refusal:
            return self.refusal
        parts = []
        for field in self:
            messages = " ".join(dict.fromkeys(str(e) for e in field.errors))
            if messages:
                parts.append(f"{gettext(field.label.text)}: {messages}")
        return " ".join(parts) or None

    @property
    def http_status(self) -> int:
        return 422 if self.error else 200


# -- fields ----------------------------------------------------------------------------


def _parsed(form: FlaskForm, field: Field) -> None:
    """Stop at a value that could not be read: its message is there, range checks on a
    missing value would only repeat it."""
    if field.process_errors:
        raise StopValidation()


def _whole_minute(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(second=0, microsecond=0) if value else value


def id_field(label: str, required: bool = True) -> IntegerField:
    """A choice of a line, operator …: a positive integer id (the page offers a list)."""
    return IntegerField(
        label,
        [
            InputRequired(CHOOSE) if required else Optional(),
            _parsed,
            NumberRange(1, MAX_ID, CHOOSE),
        ],
        invalid_value_message=CHOOSE,
    )


def number_field(label: str, low: int, high: int) -> IntegerField:
    return IntegerField(
        label,
        [InputRequired(REQUIRED), _parsed, NumberRange(low, high, NUMBER_RANGE)],
        invalid_value_message=WHOLE_NUMBER,
    )


def when_field(label: str) -> DateTimeLocalField:
    """Wall-clock date and time (``datetime-local``), to the minute, in the planning range."""
    return DateTimeLocalField(
        label,
        [InputRequired(REQUIRED), _parsed, DateRange(EARLIEST, LATEST, PLANNING_RANGE)],
        format=DATETIME_FORMATS,
        invalid_value_message=DATE_AND_TIME,
        filters=[_whole_minute],
    )


def day_field(label: str) -> DateField:
    return DateField(
        label,
        [InputRequired(REQUIRED), _parsed, DateRange(FIRST_DAY, LAST_DAY, PLANNING_RANGE)],
        invalid_value_message=DATE,
    )


def clock_field(label: str) -> TimeField:
    return TimeField(
        label,
        [InputRequired(REQUIRED), _parsed],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message=TIME,
    )


class DateListField(StringField):
    """Dates separated by spaces or commas, e.g. ``2030-01-11 2030-01-18``."""

    data: list[dt.date] | None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return " ".join(d.isoformat() for d in self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = []
        if not valuelist:
            return
        for token in re.split(r"[\s,;]+", valuelist[0].strip()):
            if not token:
                continue
            try:
                self.data.append(dt.date.fromisoformat(token))
            except ValueError as exc:
                raise ValueError(Text("„{value}“ ist kein Datum.", value=token[:20])) from exc


def _dates_in_range(form: FlaskForm, field: DateListField) -> None:
    days = field.data or []
    if len(days) > MAX_EXCEPTIONS:
        raise ValidationError(Text("Höchstens {count} Daten.", count=MAX_EXCEPTIONS))
    if any(not FIRST_DAY <= d <= LAST_DAY for d in days):
        raise ValidationError(PLANNING_RANGE)


def _text(label: str, max_length: int, required: bool = True) -> StringField:
    first = InputRequired(REQUIRED) if required else Optional()
    return StringField(label, [first, Length(max=max_length, message=TOO_LONG)])


# -- sign-in ---------------------------------------------------------------------------


class SignInForm(RosterForm):
    username = _text("Benutzername", MAX_ACCOUNT_NAME)
    password = PasswordField(
        "Passwort", [InputRequired(REQUIRED), Length(max=MAX_PASSWORD, message=TOO_LONG)]
    )


class LanguageForm(RosterForm):
    lang = SelectField("Sprache", choices=list(LANGUAGES), invalid_choice_message=NOT_OFFERED)
    next = StringField("next", [Optional(), Length(max=2000, message=TOO_LONG)])


# -- shifts ----------------------------------------------------------------------------


class ShiftTimesForm(RosterForm):
    """What operators may change on their own shift: its times."""

    start = when_field("Beginn")
    end = when_field("Ende")
    override = BooleanField("Vertretung")


class EditShiftForm(ShiftTimesForm):
    """What planners change on a shift: also who works it."""

    operator_id = id_field("Ehrenamtliche Person")


class NewShiftForm(EditShiftForm):
    line_id = id_field("Linie")


class OpenShiftForm(RosterForm):
    line_id = id_field("Linie")
    start = when_field("Beginn")
    end = when_field("Ende")
    note = _text("Hinweis", MAX_NOTE, required=False)


# -- recurring patterns ----------------------------------------------------------------


class PatternForm(RosterForm):
    operator_id = id_field("Ehrenamtliche Person")
    weekday = IntegerField(
        "Wochentag",
        [InputRequired(CHOOSE), _parsed, NumberRange(0, 6, CHOOSE)],
        invalid_value_message=CHOOSE,
    )
    start_time = clock_field("Von")
    end_time = clock_field("Bis")
    valid_from = day_field("Gültig ab")
    valid_until = day_field("Gültig bis")


class NewPatternForm(PatternForm):
    line_id = id_field("Linie")
    exceptions = DateListField("Ausnahmen", [_parsed, _dates_in_range])


class PatternExceptionForm(RosterForm):
    date = day_field("Datum")


# -- staffing, operators, accounts, import ---------------------------------------------


class StaffingForm(RosterForm):
    weekday = SelectMultipleField(
        "Wochentag",
        [InputRequired(Text("Bitte mindestens einen Wochentag wählen."))],
        coerce=int,
        choices=[SelectChoice(i, name) for i, name in enumerate(WEEKDAYS_DE)],
        invalid_value_message=NOT_OFFERED,
        invalid_choice_message=NOT_OFFERED,
    )
    first_hour = number_field("Stunde von", 0, 23)
    last_hour = number_field("Stunde bis", 0, 23)
    required = number_field("Personen", 0, MAX_REQUIRED)


class OperatorForm(RosterForm):
    name = _text("Name", MAX_NAME_LENGTH)
    phone = TelField(
        "Telefonnummer (Handy)", [InputRequired(REQUIRED), Length(max=MAX_PHONE, message=TOO_LONG)]
    )
    languages = SelectMultipleField(
        "Sprachen",
        choices=sorted(KNOWN_LANGUAGES),
        invalid_choice_message=Text("Unbekannte Sprachkürzel: %(value)s"),
    )
    status = SelectField(
        "Status",
        choices=[s.value for s in OperatorStatus],
        default=OperatorStatus.ACTIVE.value,
        invalid_choice_message=NOT_OFFERED,
    )


class AccountForm(RosterForm):
    username = _text("Benutzername", MAX_ACCOUNT_NAME)
    name = _text("Name", MAX_ACCOUNT_NAME, required=False)
    password = PasswordField(
        "Passwort", [InputRequired(REQUIRED), Length(max=MAX_PASSWORD, message=TOO_LONG)]
    )
    # Every role, members included: the domain refuses members with its own explanation.
    # No default: a request without a role is refused, never given one (the page preselects
    # the least privilege, operator).
    role = SelectField(
        "Rolle",
        [InputRequired(REQUIRED)],
        choices=[r.value for r in Role],
        default=None,
        invalid_choice_message=NOT_OFFERED,
    )
    operator_id = id_field("Ehrenamtliche Person", required=False)
    language = SelectField(
        "Sprache", choices=list(LANGUAGES), default="de", invalid_choice_message=NOT_OFFERED
    )


class ImportForm(RosterForm):
    kind = SelectField(
        "Art",
        choices=["shifts", "operators"],
        default="shifts",
        invalid_choice_message=NOT_OFFERED,
    )
    file = FileField(
        "CSV-Datei",
        [
            FileRequired(Text("Bitte eine CSV-Datei wählen.")),
            FileSize(
                MAX_UPLOAD_BYTES,
                message=Text(
                    "Die Datei darf höchstens {size} MB groß sein.",
                    size=MAX_UPLOAD_BYTES // 2**20,
                ),
            ),
        ],
    )


class ExtendBlockForm(RosterForm):
    """How many hours longer a blocked caller stays blocked."""

    hours = number_field("Stunden", 1, 24 * 90)


# -- line settings -----------------------------------------------------------------------

#: Longest list of opening spans for one weekday (``20:00-23:00, 06:00-08:00``).
MAX_SPANS_TEXT = 200
MAX_CLOSURE_DATES = 400
SPANS = re.compile(r"^\s*(\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*([,;]\s*|$))*$")


def _spans(form: FlaskForm, field: StringField) -> None:
    if not SPANS.match(field.data or ""):
        raise ValidationError(Text("Bitte Zeiten wie 20:00-04:00 angeben, mehrere mit Komma."))


def _closure_dates(form: FlaskForm, field: DateListField) -> None:
    days = field.data or []
    if len(days) > MAX_CLOSURE_DATES:
        raise ValidationError(Text("Höchstens {count} Daten.", count=MAX_CLOSURE_DATES))
    if any(not FIRST_DAY <= d <= LAST_DAY for d in days):
        raise ValidationError(PLANNING_RANGE)


def _hours_field(day: int) -> StringField:
    return StringField(
        WEEKDAYS_DE[day], [Length(max=MAX_SPANS_TEXT, message=TOO_LONG), _spans], default=""
    )


class LineSettingsForm(RosterForm):
    """Everything a coordinator sets on a line; the coordinators' choices are the eligible
    accounts, filled in by the page."""

    name = _text("Name", 120)
    hours_0 = _hours_field(0)
    hours_1 = _hours_field(1)
    hours_2 = _hours_field(2)
    hours_3 = _hours_field(3)
    hours_4 = _hours_field(4)
    hours_5 = _hours_field(5)
    hours_6 = _hours_field(6)
    closures = DateListField("Geschlossen an", [_parsed, _closure_dates])
    holiday_state = SelectField(
        "Feiertage des Bundeslands", choices=[""], default="", invalid_choice_message=NOT_OFFERED
    )
    ring_strategy = SelectField(
        "Klingeln",
        choices=["simultaneous", "sequential"],
        invalid_choice_message=NOT_OFFERED,
    )
    ring_timeout = number_field("Klingeldauer (Sekunden)", 5, 120)
    queue_timeout = number_field("Höchste Wartezeit (Sekunden, 0: keine Warteschlange)", 0, 3600)
    fallback_number = TelField(
        "Ersatznummer", [Optional(), Length(max=MAX_PHONE, message=TOO_LONG)]
    )
    partner = _text("Partner", 120, required=False)
    show_caller_number = BooleanField("Ehrenamtliche sehen die Nummer der anrufenden Person")
    coordinators = SelectMultipleField(
        "Koordination", coerce=int, choices=[], invalid_choice_message=NOT_OFFERED
    )

    def hours_fields(self) -> list[StringField]:
        return [self[f"hours_{day}"] for day in range(7)]


# -- changing accounts -------------------------------------------------------------------


class EditAccountForm(RosterForm):
    """An admin's change of an account; the role is always submitted, never assumed."""

    name = _text("Name", MAX_ACCOUNT_NAME, required=False)
    role = SelectField(
        "Rolle",
        [InputRequired(REQUIRED)],
        choices=[r.value for r in Role if r != Role.MEMBER],
        default=None,
        invalid_choice_message=NOT_OFFERED,
    )
    operator_id = id_field("Ehrenamtliche Person", required=False)
    language = SelectField(
        "Sprache", choices=list(LANGUAGES), default="de", invalid_choice_message=NOT_OFFERED
    )


class PasswordResetForm(RosterForm):
    password = PasswordField(
        "Neues Passwort", [InputRequired(REQUIRED), Length(max=MAX_PASSWORD, message=TOO_LONG)]
    )
