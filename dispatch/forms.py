"""What each dispatch page accepts, as WTForms classes (Flask-WTF): every field bounded in
length, numbers and postal codes checked, messages in the page's language (German msgids,
:class:`Text`, translated when the form is validated in its request).

The forms check the shape of what was typed; the domain still decides what it means (a
postal code in the table, a mobile number, a free username, a known activity) and says so
in its own words. A page shows the form's problems first and the domain's once the form
is right.

CSRF: the blueprint checks the token of every POST before any form is read
(:func:`dispatch.access.check_csrf`), so the forms do not check it a second time.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from dispatch import texts
from dispatch.matching import dispatch_zone
from dispatch.models import Activity
from dispatch.tickets import TicketRequest
from hotline.core.form_texts import PageMessages, Text, page_messages
from hotline.core.i18n import LANGUAGE_NAMES, error_text, gettext
from hotline.core.phones import InvalidPhoneNumber, to_dialable_e164

#: Largest helper CSV a coordinator may import (about 20,000 helpers).
MAX_CSV_BYTES = 2 * 2**20
_CSV_MB = MAX_CSV_BYTES // 2**20
#: Largest request body of the import page: the file plus the multipart framing.
MAX_IMPORT_REQUEST_BYTES = MAX_CSV_BYTES + 64 * 2**10
#: Largest request body of every other dispatch page; their fields add up to a few kB.
MAX_PAGE_REQUEST_BYTES = 64 * 2**10


class DispatchForm(FlaskForm):
    class Meta:
        csrf = False  # checked for the whole blueprint before the form is read

        def get_translations(self, form: Any) -> PageMessages:
            return page_messages

    def problems(self) -> dict[str, str]:
        """The first problem of each field, named by its label, for the list above the form."""
        return {
            name: f"{gettext(field.label.text)}: {field.errors[0]}"
            for name, field in self._fields.items()
            if field.errors
        }


# -- shared fields and checks --------------------------------------------------------------


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=Text("Bitte höchstens %(max)d Zeichen."))


def _without_spaces(value: str | None) -> str | None:
    return value.replace(" ", "").strip() if isinstance(value, str) else value


def _finite(form: DispatchForm, field: Field) -> None:
    """``float()`` reads "nan" and "inf"; neither is a duration."""
    if field.data is not None and not math.isfinite(field.data):
        raise StopValidation(Text("Bitte eine Zahl angeben."))


def _unique(values: list[str] | None) -> list[str] | None:
    """Each ticked value once, however often it was sent."""
    return list(dict.fromkeys(values)) if values else values


def _activity_choices() -> list[SelectChoice]:
    return [SelectChoice(a.value, texts.activity_name(a.value, "de")) for a in Activity]


def _postal_code(label: str) -> StringField:
    return StringField(
        label,
        [
            InputRequired(Text("Bitte die Postleitzahl angeben.")),
            Regexp(r"^\d{5}$", message=Text("Bitte eine fünfstellige Postleitzahl angeben.")),
        ],
        filters=[_without_spaces],
    )


#: What people type in phone numbers: digits, spaces, + ( ) / - and dots.
_PHONE = [
    _at_most(32),
    Regexp(
        r"^[0-9+()/.\s-]*$",
        message=Text("Bitte nur Ziffern, Leerzeichen und die Zeichen + ( ) / - verwenden."),
    ),
]
_LANGUAGE_CODES = re.compile(r"^\s*([A-Za-z]{2,3}([,;\s]+[A-Za-z]{2,3})*)?[,;\s]*$")


def _count(label: str, low: int, high: int, default: int) -> IntegerField:
    """An optional whole number from ``low`` to ``high``; the page suggests ``default``, the
    domain uses its own when the field is left empty."""
    return IntegerField(
        label,
        [
            Optional(),
            NumberRange(low, high, message=Text("Bitte eine Zahl von %(min)s bis %(max)s.")),
        ],
        default=default,
    )


# -- helpers ---------------------------------------------------------------------------------


class HelperProfileForm(DispatchForm):
    """A helper's profile, as the public sign-up and the coordinators' form ask for it."""

    name = StringField("Name", [InputRequired(Text("Bitte einen Namen angeben.")), _at_most(120)])
    phone = TelField(
        "Handynummer", [InputRequired(Text("Bitte eine Handynummer angeben.")), *_PHONE]
    )
    email = EmailField("E-Mail (freiwillig)", [_at_most(200)])
    channels = RadioField(
        "Wie sollen wir Sie fragen?",
        [Optional()],
        choices=[
            SelectChoice("sms", "Per SMS"),
            SelectChoice("email", "Per E-Mail"),
            SelectChoice("both", "Per SMS und E-Mail"),
            SelectChoice("call", "Per Anruf (ohne Handy)"),
        ],
        default="sms",
    )
    postal_code = _postal_code("Postleitzahl")
    radius_km = _count("Umkreis in km", 1, 50, 5)
    activities = SelectMultipleField(
        "Wobei helfen Sie?",
        choices=_activity_choices,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        filters=[_unique],
    )
    languages = StringField("Sprachen (Kürzel, z. B. de, en, tr)", [_at_most(80)], default="de")
    preferred_language = SelectField(
        "Sprache für Nachrichten",
        [Optional()],
        # Every language with a catalogue; one not yet complete for dispatch texts falls
        # back to German (dispatch.texts.helper_language).
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
    )
    availability = StringField(
        "Wann haben Sie Zeit? (z. B. „mo-fr 17:00-20:00, sa 09:00-14:00“; leer = jederzeit)",
        [_at_most(300)],
    )
    max_per_week = _count("Höchstens so viele Anfragen pro Woche", 1, 50, 3)

    def profile(self) -> dict[str, Any]:
        """The values as :func:`dispatch.helpers.validate_profile` reads them."""
        return {name: field.data for name, field in self._fields.items()}


class SignupForm(HelperProfileForm):
    consent = BooleanField(
        "Ich bin einverstanden, dass meine Angaben gespeichert und mir Anfragen per SMS "
        "geschickt werden. Mit STOPP kann ich mich jederzeit abmelden."
    )


class SignupCodeForm(DispatchForm):
    code = StringField(
        "Code",
        [
            InputRequired(Text("Bitte den Code aus der SMS eingeben.")),
            Regexp(r"^\d{6}$", message=Text("Bitte den sechsstelligen Code aus der SMS eingeben.")),
        ],
        filters=[_without_spaces],
    )


class HelperForm(HelperProfileForm):
    """The coordinators' form; the status is one of active and paused (opting out is the
    helper's own decision, by SMS, and then no status is offered)."""

    status = SelectField(
        "Status",
        [Optional()],
        choices=[SelectChoice("active", "aktiv"), SelectChoice("paused", "pausiert")],
    )


class ImportForm(DispatchForm):
    """A helper CSV, uploaded as a file or pasted into ``csv``."""

    file = FileField(
        "CSV-Datei",
        [
            FileSize(
                MAX_CSV_BYTES,
                message=Text("Die Datei ist zu groß (höchstens {mb} MB).", mb=_CSV_MB),
            )
        ],
    )
    csv = TextAreaField(
        "CSV",
        [
            Length(
                max=MAX_CSV_BYTES,
                message=Text("Der Text ist zu lang (höchstens {mb} MB).", mb=_CSV_MB),
            )
        ],
    )

    def content(self) -> bytes:
        if self.file.data:
            return self.file.data.read(MAX_CSV_BYTES + 1)
        return (self.csv.data or "").encode()


# -- organisations ---------------------------------------------------------------------------


class MemberForm(DispatchForm):
    """A member account: the same password rules as every account (the domain checks them)."""

    member_name = StringField("Name", [_at_most(120)])
    username = StringField(
        "Benutzername", [InputRequired(Text("Bitte einen Benutzernamen angeben.")), _at_most(120)]
    )
    password = PasswordField(
        "Passwort (mindestens 10 Zeichen)",
        [InputRequired(Text("Bitte ein Passwort angeben.")), _at_most(200)],
    )


class OrganisationForm(MemberForm):
    name = StringField(
        "Name der Organisation",
        [InputRequired(Text("Bitte den Namen der Organisation angeben.")), _at_most(200)],
    )
    contact_phone = TelField("Telefon (für Rückmeldungen)", _PHONE)
    contact_email = EmailField("E-Mail", [_at_most(200)])
    member_name = StringField("Ihr Name", [_at_most(120)])


# -- tickets ---------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(dispatch_zone())


class TicketForm(DispatchForm):
    """An operator's ticket, typed while on the phone: a callback number is required."""

    #: The callback number in E.164, once the form has validated it.
    requester_e164: str | None = None

    activity = SelectField("Tätigkeit", choices=_activity_choices)
    postal_code = _postal_code("Postleitzahl des Einsatzorts")
    starts_at = DateTimeLocalField(
        "Beginn",
        [InputRequired(Text("Bitte Datum und Uhrzeit angeben."))],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        tz=_zone,
    )
    hours = FloatField(
        "Dauer in Stunden",
        [
            Optional(),
            _finite,
            NumberRange(0.5, 168, message=Text("Bitte eine Dauer von 0,5 bis 168 Stunden.")),
        ],
        default=2,
    )
    needed = _count("Anzahl Helfende", 1, 50, 1)
    languages = StringField(
        "Sprachen (eine davon genügt; Kürzel, z. B. de, tr)",
        [
            _at_most(80),
            Regexp(_LANGUAGE_CODES, message=Text("Sprachen als Kürzel, z. B. de, tr.")),
        ],
        default="de",
    )
    description = TextAreaField("Beschreibung", [_at_most(2000)])
    requester_first_name = StringField(
        "Vorname der anfragenden Person / Ansprechperson", [_at_most(120)]
    )
    requester_phone = TelField(
        "Telefon", [InputRequired(Text("Bitte eine Rückrufnummer angeben.")), *_PHONE]
    )
    address = StringField("Adresse / Treffpunkt", [_at_most(300)])
    urgent = BooleanField("Dringend (SMS auch zwischen 21 und 8 Uhr)")

    def validate_requester_phone(self, field: Field) -> None:
        try:
            self.requester_e164 = to_dialable_e164(field.data, current_app.config["DEFAULT_REGION"])
        except InvalidPhoneNumber as exc:
            raise ValidationError(error_text(exc)) from exc

    def ticket_request(self) -> TicketRequest:
        """The validated form as the domain's request (times in UTC)."""
        start: dt.datetime = self.starts_at.data
        hours = self.hours.data if self.hours.data is not None else 2
        languages = tuple(c.lower() for c in re.split(r"[,;\s]+", self.languages.data or "") if c)
        return TicketRequest(
            activity=self.activity.data or "",
            postal_code=self.postal_code.data or "",
            window_start=start.astimezone(dt.UTC),
            window_end=(start + dt.timedelta(hours=hours)).astimezone(dt.UTC),
            needed=self.needed.data if self.needed.data is not None else 1,
            description=self.description.data or "",
            languages=languages or ("de",),
            urgent=self.urgent.data,
            requester_first_name=self.requester_first_name.data or "",
            requester_phone=self.requester_e164,
            address=self.address.data or "",
        )


class CalloutForm(TicketForm):
    """An organisation's call-out: without a contact, the organisation's own is given."""

    requester_phone = TelField("Telefon", [Optional(), *_PHONE])


# -- accept links ----------------------------------------------------------------------------


class OfferAnswerForm(DispatchForm):
    action = SelectField(
        choices=[
            SelectChoice("accept", "Ja, ich helfe"),
            SelectChoice("decline", "Nein, diesmal nicht"),
        ]
    )
