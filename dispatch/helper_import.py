"""Importing helpers from the CSV files coordinators have (see :mod:`hotline.core.csvfiles`).

Headers and values are accepted as the pages show them in German ("Handynummer",
"Einkaufen", "Deutsch, Türkisch", "Montag-Freitag 09:00-12:00", "02.01.2026") or as the codes.
Every row is checked completely and every problem of every row is reported (row, column,
message in the page's language). All or nothing: if any row is wrong, nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.helpers import (
    InvalidProfile,
    Profile,
    apply_profile,
    contact_number,
    parse_availability,
    parse_channels,
)
from dispatch.models import Activity, Helper, HelperStatus
from dispatch.postcodes import UnknownPostalCode, lookup
from hotline.core import csvfiles
from hotline.core.csvfiles import CellError, CellProblem, Column
from hotline.core.errors import DomainError
from hotline.core.i18n import N_
from hotline.core.phones import InvalidPhoneNumber

COLUMNS = [
    Column("name", N_("Name"), required=True),
    Column("phone", N_("Handynummer"), required=True, also=("Telefon", "Mobil", "Handy")),
    Column("email", N_("E-Mail"), also=("Mail", "Email")),
    Column("postal_code", N_("Postleitzahl"), required=True, also=("PLZ",)),
    Column("radius_km", N_("Umkreis in km"), also=("Umkreis",)),
    Column("activities", N_("Tätigkeiten"), required=True, also=("Tätigkeit",)),
    Column("languages", N_("Sprachen"), also=("Sprache",)),
    Column("availability", N_("Zeiten"), also=("Verfügbarkeit", "Wann haben Sie Zeit?")),
    Column(
        "max_per_week",
        N_("Anfragen pro Woche"),
        also=("Höchstens so viele Anfragen pro Woche",),
    ),
    Column("preferred_language", N_("Sprache für Nachrichten")),
    Column("channels", N_("Kanal"), also=("Kanäle", "Wie fragen")),
    Column(
        "consent_at",
        N_("Einwilligung am"),
        required=True,
        also=("Einwilligung", "Datum der Einwilligung"),
    ),
]

#: The sample file's rows: what a coordinator's spreadsheet typically holds.
SAMPLE_ROWS = [
    [
        "Ada Muster",
        "0151 11111111",
        "ada@example.org",
        "10115",
        "5",
        "Einkaufen, Besorgungen",
        "Deutsch, Englisch",
        "Mo-Fr 09:00-12:00",
        "3",
        "Deutsch",
        "beides",
        "02.01.2026",
    ],
    [
        "Ümit Özdemir",
        "0151 22222222",
        "",
        "33602",
        "10",
        "Übersetzen",
        "Deutsch, Türkisch",
        "Samstag 10:00-14:00",
        "2",
        "Türkisch",
        "SMS",
        "2026-01-03",
    ],
]


@dataclass
class ImportResult:
    created: int = 0
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def sample() -> bytes:
    """The sample file offered next to the import (it imports cleanly)."""
    return csvfiles.sample(COLUMNS, SAMPLE_ROWS)


def import_file(session: Session, raw: bytes, region: str = "DE") -> ImportResult:
    return import_csv(session, csvfiles.decode(raw), region)


def import_csv(session: Session, text: str, region: str = "DE") -> ImportResult:
    """Import helpers from CSV text; nothing is stored unless every row is right."""
    table = csvfiles.read_table(text, COLUMNS)
    result = ImportResult(errors=list(table.errors))
    if result.errors:
        return result
    profiles: list[tuple[int, Profile]] = []
    seen: dict[str, int] = {}
    for line, row in table.rows:
        problems: list[CellError] = []
        profile = _profile(line, row, region, problems)
        if profile is not None:
            if profile.phone in seen:
                problems.append(
                    CellError(
                        line,
                        N_("Handynummer"),
                        CellProblem("import_phone_same_as_row", line=seen[profile.phone]),
                    )
                )
            else:
                seen[profile.phone] = line
                profiles.append((line, profile))
        result.errors.extend(problems)
    if seen:
        taken = set(session.scalars(select(Helper.phone).where(Helper.phone.in_(list(seen)))))
        for phone in sorted(taken, key=seen.__getitem__):
            result.errors.append(
                CellError(seen[phone], N_("Handynummer"), CellProblem("import_phone_registered"))
            )
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result
    for _, profile in profiles:
        session.add(apply_profile(Helper(status=HelperStatus.ACTIVE), profile))
    session.flush()
    result.created = len(profiles)
    return result


def _profile(
    line: int, row: dict[str, str], region: str, errors: list[CellError]
) -> Profile | None:
    """The row as a profile, or None with every problem of the row added to ``errors``."""

    def problem(code: str, refusal: DomainError) -> None:
        errors.append(CellError(line, csvfiles.header_of(COLUMNS, code), refusal))

    def read(code: str, parse):  # noqa: ANN001, ANN202
        try:
            return parse(row.get(code, ""))
        except CellProblem as exc:
            problem(code, exc)
            return None

    name = row.get("name", "")
    if not name:
        problem("name", CellProblem("import_name_missing"))
    phone = None
    cell_channels = _channels(row.get("channels", "")) or ["sms"]
    try:
        phone = contact_number(row.get("phone", ""), cell_channels, region)
    except InvalidPhoneNumber as exc:
        problem("phone", exc)
    except InvalidProfile as exc:
        problem("phone", exc.problems["phone"])
    email = row.get("email") or None
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problem("email", CellProblem("import_email_invalid", value=email))
    place = None
    try:
        place = lookup(row.get("postal_code", ""))
    except UnknownPostalCode:
        problem(
            "postal_code",
            CellProblem("import_postal_code_unknown", value=row.get("postal_code", "")),
        )
    radius = read("radius_km", lambda raw: _number(raw, 5, 1, 50))
    cap = read("max_per_week", lambda raw: _number(raw, 3, 1, 50))
    activities = read("activities", _activities)
    languages = read("languages", lambda raw: csvfiles.language_codes(raw) or ["de"])
    preferred = read("preferred_language", _preferred)
    availability = read("availability", _availability)
    consent = read("consent_at", _date)
    channels = _channels(row.get("channels", ""))
    if channels is None:
        problem("channels", CellProblem("import_channels_unknown", value=row.get("channels", "")))
    elif "email" in channels and not email:
        problem("channels", CellProblem("import_email_missing"))
    if errors:
        return None
    try:
        return Profile(
            name=name,
            phone=phone,
            postal_code=place.postal_code,
            lat=place.lat,
            lon=place.lon,
            radius_km=radius,
            activities=activities,
            languages=languages,
            availability=availability,
            max_per_week=cap,
            preferred_language=preferred or languages[0],
            email=email,
            channels=channels,
            consent_at=consent,
        )
    except InvalidProfile as exc:  # pragma: no cover - every field is checked above
        for code, refusal in exc.problems.items():
            problem(code, refusal)
        return None


#: The channel cell's German words (as the helper form shows them) besides the codes.
_CHANNEL_WORDS = {
    "e-mail": "email",
    "mail": "email",
    "beides": "both",
    "beide": "both",
    "anruf": "call",
    "anrufen": "call",
}


def _channels(raw: str) -> list[str] | None:
    """``SMS``, ``E-Mail``, ``beides``, ``Anruf`` or the codes (``sms;email``); empty: SMS."""
    words = [w for w in re.split(r"[\s,;/+]+|\bund\b", raw.strip().lower()) if w]
    if len(words) == 1:
        return parse_channels(_CHANNEL_WORDS.get(words[0], words[0]))
    return parse_channels([_CHANNEL_WORDS.get(w, w) for w in words])


def _number(raw: str, default: int, low: int, high: int) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CellProblem("import_not_a_whole_number", value=raw) from None
    if not low <= value <= high:
        raise CellProblem("import_number_out_of_range", low=low, high=high)
    return value


_ACTIVITY_LABELS = {a.value: texts.activity_name(a.value, "de") for a in Activity}


def _activities(raw: str) -> list[str]:
    """``Einkaufen, Besorgungen`` or ``shopping;errands``."""
    parts = [p for p in re.split(r"[,;/|]+", raw) if p.strip()]
    if (
        len(parts) == 1
        and " " in parts[0].strip()
        and parts[0].strip() not in _ACTIVITY_LABELS.values()
    ):
        parts = parts[0].split()  # codes separated by spaces
    if not parts:
        raise CellProblem("import_activity_missing")
    codes, unknown = [], []
    for part in parts:
        try:
            codes.append(csvfiles.choice(part, _ACTIVITY_LABELS, N_("Tätigkeit")))
        except CellProblem:
            unknown.append(part.strip())
    if unknown:
        raise CellProblem(
            "import_activity_unknown",
            value=", ".join(unknown),
            choices=", ".join(_ACTIVITY_LABELS.values()),
        )
    return list(dict.fromkeys(codes))


def _preferred(raw: str) -> str | None:
    if not raw:
        return None
    codes = csvfiles.language_codes(raw)
    if len(codes) != 1:
        raise CellProblem("import_one_language")
    return codes[0]


_DAY = r"[A-Za-zÄÖÜäöüß]+\.?"


def _availability(raw: str) -> dict[str, list[list[str]]]:
    """``Montag-Freitag 09:00-12:00; Sa 10-14`` with German (or English) day names."""
    if not raw.strip():
        return {}

    def short(match: re.Match[str]) -> str:
        return ["mo", "di", "mi", "do", "fr", "sa", "so"][csvfiles.weekday(match.group(0))]

    normalised = re.sub(_DAY, short, raw)
    try:
        return parse_availability(normalised)
    except ValueError:
        raise CellProblem("import_times_unreadable", value=raw) from None


def _date(raw: str) -> dt.datetime:
    """``02.01.2026`` (as German spreadsheets write dates) or ISO ``2026-01-02``."""
    text = raw.strip()
    if not text:
        raise CellProblem("import_consent_missing")
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2}))?", text)
    try:
        if german:
            day, month, year, hour, minute = german.groups()
            value = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        else:
            value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CellProblem("import_date_unreadable", value=raw) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
