"""The forms of the helper's own page and of the public take. Labels and messages are the
German msgids of the catalogue (see :mod:`dispatch.forms`)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from dispatch.forms import DispatchForm, SignupCodeForm, Text

LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
    "ru": "Русский",
}


class SettingsForm(DispatchForm):
    """Pause, availability, language, and how the helper is asked (SMS, e-mail or both)."""

    paused = BooleanField("Pause: zurzeit keine Anfragen schicken")
    availability = TextAreaField(
        "Wann ich helfen kann (leer: jederzeit)",
        [Length(max=500, message=Text("Bitte höchstens %(max)d Zeichen."))],
    )
    language = SelectField(
        "Sprache",
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
    )
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
    email = EmailField(
        "E-Mail", [Length(max=200, message=Text("Bitte höchstens %(max)d Zeichen."))]
    )


class EraseForm(DispatchForm):
    confirm = BooleanField(
        "Ja, mein Profil und alles, was dazu gespeichert ist, endgültig löschen.",
        [InputRequired(Text("Bitte bestätigen Sie das Löschen mit dem Häkchen."))],
    )


class TakeForm(DispatchForm):
    phone = StringField(
        "Ihre Handynummer",
        [
            InputRequired(Text("Bitte Ihre Handynummer angeben.")),
            Length(max=32, message=Text("Bitte höchstens %(max)d Zeichen.")),
            Regexp(
                r"^[0-9+()/.\s-]*$",
                message=Text("Bitte nur Ziffern, Leerzeichen und die Zeichen + ( ) / - verwenden."),
            ),
        ],
    )


#: Entering the take's code: the same field and messages as the sign-up's.
TakeCodeForm = SignupCodeForm
