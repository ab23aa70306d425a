"""The forms of the trainings and long-term engagement pages (same conventions as
:mod:`dispatch.forms`: bounded fields, German messages, CSRF checked by the blueprint).

Labels and choices are the German msgids of the page catalogue, marked with ``N_`` so the
extractor finds them; the pages show them translated (``label``/``localize``)."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from dispatch.engagement import ProfileRequest
from dispatch.forms import (
    _LANGUAGE_CODES,
    DispatchForm,
    Text,
    _activity_choices,
    _at_most,
    _count,
    _finite,
    _postal_code,
)
from hotline.core.i18n import N_


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[,;]+", value or "") if p.strip())


class TrainingForm(DispatchForm):
    name = StringField(
        N_("Schulung (z. B. Erste Hilfe)"),
        [InputRequired(Text("Bitte den Namen der Schulung angeben.")), _at_most(120)],
    )
    completed_on = DateField(
        N_("Datum"), [InputRequired(Text("Bitte das Datum der Schulung angeben."))]
    )
    valid_until = DateField(N_("Gültig bis (leer = unbegrenzt)"), [Optional()])


class ActivityTrainingForm(DispatchForm):
    activity = SelectField(N_("Tätigkeit"), choices=_activity_choices)
    name = StringField(
        N_("Erforderliche Schulung"),
        [InputRequired(Text("Bitte den Namen der Schulung angeben.")), _at_most(120)],
    )


class ProfileForm(DispatchForm):
    """An organisation's requirement profile for a regular engagement."""

    title = StringField(
        N_("Titel"), [InputRequired(Text("Bitte einen Titel angeben.")), _at_most(120)]
    )
    activity = SelectField(N_("Tätigkeit"), choices=_activity_choices)
    skills = StringField(
        N_("Benötigte Kenntnisse oder Schulungen (durch Komma getrennt)"), [_at_most(300)]
    )
    languages = StringField(
        N_("Sprachen (Kürzel, z. B. de, tr)"),
        [_at_most(80), Regexp(_LANGUAGE_CODES, message=Text("Sprachen als Kürzel, z. B. de, tr."))],
        default="de",
    )
    postal_code = _postal_code(N_("Postleitzahl des Einsatzorts"))
    radius_km = _count(N_("Umkreis in km"), 1, 50, 10)
    hours_per_week = FloatField(
        N_("Stunden pro Woche"),
        [
            InputRequired(Text("Bitte die Stunden pro Woche angeben.")),
            _finite,
            NumberRange(0.5, 40, message=Text("Bitte 0,5 bis 40 Stunden pro Woche angeben.")),
        ],
    )
    duration_months = _count(N_("Dauer in Monaten"), 1, 60, 6)
    description = TextAreaField(N_("Beschreibung"), [_at_most(2000)])

    def request(self) -> ProfileRequest:
        return ProfileRequest(
            title=self.title.data or "",
            activity=self.activity.data or "",
            postal_code=self.postal_code.data or "",
            radius_km=self.radius_km.data if self.radius_km.data is not None else 10,
            hours_per_week=self.hours_per_week.data,
            duration_months=(
                self.duration_months.data if self.duration_months.data is not None else 6
            ),
            skills=_split(self.skills.data),
            languages=tuple(c.lower() for c in re.split(r"[,;\s]+", self.languages.data or "") if c)
            or ("de",),
            description=self.description.data or "",
        )


class HoursForm(DispatchForm):
    hours_per_week = FloatField(
        N_("Wie viele Stunden pro Woche können Sie regelmäßig helfen?"),
        [
            Optional(),
            _finite,
            NumberRange(0, 80, message=Text("Bitte 0 bis 80 Stunden pro Woche angeben.")),
        ],
    )


class InterestForm(DispatchForm):
    message = TextAreaField(N_("Nachricht an die Organisation (freiwillig)"), [_at_most(2000)])
    consent = BooleanField(
        N_(
            "Ich bin einverstanden, dass die Organisation meinen Namen, meine Telefonnummer "
            "und meine Nachricht sieht, um mit mir Kontakt aufzunehmen."
        )
    )


class MatchActionForm(DispatchForm):
    action = SelectField(
        choices=[
            SelectChoice("confirm", N_("Zusagen")),
            SelectChoice("pause", N_("Pausieren")),
            SelectChoice("resume", N_("Fortsetzen")),
            SelectChoice("end", N_("Beenden")),
        ]
    )
