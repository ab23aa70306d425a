"""Helper profiles: validation, coordinator edits, CSV import and the public sign-up with an
SMS code (double opt-in, so nobody is texted about requests without having confirmed their
own number)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.models import CHANNEL_CHOICES, Activity, ContactChannel, Helper, HelperStatus, Signup
from dispatch.postcodes import UnknownPostalCode, lookup
from hotline.core.errors import MESSAGES, DomainError, FieldErrors
from hotline.core.models import utcnow
from hotline.core.phones import (
    InvalidPhoneNumber,
    PhoneProblem,
    allowed_countries,
    to_dialable_e164,
    to_mobile_e164,
)

WEEKDAYS = ["mo", "di", "mi", "do", "fr", "sa", "so"]
_WEEKDAYS_EN = ["mo", "tu", "we", "th", "fr", "sa", "su"]
SIGNUP_CODE_TTL = dt.timedelta(minutes=30)
SIGNUP_MAX_ATTEMPTS = 5
SIGNUP_CODES_PER_WINDOW = 3
SIGNUP_WINDOW = dt.timedelta(hours=1)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
CSV_COLUMNS = [
    "name",
    "phone",
    "email",
    "postal_code",
    "radius_km",
    "activities",
    "languages",
    "availability",
    "max_per_week",
    "preferred_language",
    "consent_at",
    #: ``sms``, ``email``, ``both`` or ``call`` (empty: SMS); last, so older files still import.
    "channels",
]


class InvalidProfile(FieldErrors):
    """A profile that cannot be saved; ``problems`` maps field names to refusals."""


@dataclass
class Profile:
    """A validated helper profile, ready to be stored."""

    name: str
    phone: str
    postal_code: str
    lat: float
    lon: float
    radius_km: int
    activities: list[str]
    languages: list[str]
    availability: dict[str, list[list[str]]]
    max_per_week: int
    preferred_language: str
    email: str | None = None
    channels: list[str] = field(default_factory=lambda: ["sms"])
    consent_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


#: A landline (or another number that takes no texts) chose a channel besides the call.
LANDLINE_CALL_ONLY = MESSAGES["landline_call_only"]
#: The public sign-up confirms the number by a texted code, which a landline cannot receive.
SIGNUP_NEEDS_MOBILE = MESSAGES["signup_needs_mobile"]


def contact_number(
    raw: str, channels: list[str], region: str = "DE", countries: frozenset[str] | None = None
) -> str:
    """The helper's number in E.164: a mobile number, or a landline for a helper asked by
    phone calls only. A landline cannot take the offer texts, nor the texts a helper is sent
    when no e-mail reaches them, so with any channel besides the call it is refused with
    :data:`LANDLINE_CALL_ONLY` (raised as :class:`InvalidProfile` for the ``phone`` field)."""
    try:
        return to_mobile_e164(raw, region, countries)
    except InvalidPhoneNumber as exc:
        if exc.problem != PhoneProblem.NOT_MOBILE:
            raise
        number = to_dialable_e164(raw, region, countries)
        if channels != [ContactChannel.CALL.value]:
            raise InvalidProfile({"phone": DomainError("landline_call_only")}) from exc
        return number


def textable(number: str) -> bool:
    """Whether ``number`` (E.164) can take texts: a landline of a call-only helper cannot."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False
    return kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def parse_availability(text: str) -> dict[str, list[list[str]]]:
    """``"mo-fr 09:00-17:00, sa 10:00-12:00"`` → ``{"0": [["09:00", "17:00"]], …}``.

    Weekday names are German or English two-letter abbreviations. An empty text means
    "any time"; an unreadable one raises ``ValueError`` naming the part that is wrong.
    """
    result: dict[str, list[list[str]]] = {}
    for part in re.split(r"[,;]", text or ""):
        part = part.strip().lower()
        if not part:
            continue
        m = re.fullmatch(
            r"([a-z]{2})(?:\s*-\s*([a-z]{2}))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", part
        )
        if not m:
            raise DomainError("availability_unreadable", part=part)
        first, last = _weekday(m.group(1)), _weekday(m.group(2) or m.group(1))
        start, end = _hhmm(m.group(3)), _hhmm(m.group(4))
        if end <= start:
            raise DomainError("availability_reversed", part=part)
        day = first
        while True:
            result.setdefault(str(day), []).append([start, end])
            if day == last:
                break
            day = (day + 1) % 7
    return result


def _weekday(name: str) -> int:
    if name in WEEKDAYS:
        return WEEKDAYS.index(name)
    if name in _WEEKDAYS_EN:
        return _WEEKDAYS_EN.index(name)
    raise DomainError("availability_weekday_unknown", name=name)


def _hhmm(text: str) -> str:
    hours, minutes = (int(p) for p in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise DomainError("time_of_day_invalid", value=text)
    return f"{hours:02d}:{minutes:02d}"


def format_availability(availability: dict[str, list[list[str]]]) -> str:
    parts = []
    for day in sorted(availability, key=int):
        for start, end in availability[day]:
            parts.append(f"{WEEKDAYS[int(day)]} {start}-{end}")
    return ", ".join(parts)


def _split(text: str | list[str] | None) -> list[str]:
    if isinstance(text, list):
        return [t.strip().lower() for t in text if t and t.strip()]
    return [t.strip().lower() for t in re.split(r"[,;\s]+", text or "") if t.strip()]


def validate_profile(
    data: dict[str, Any], region: str = "DE", countries: frozenset[str] | None = None
) -> Profile:
    """Check every field and report all problems at once; the number must be a mobile
    number of ``countries`` (default: ``ALLOWED_COUNTRIES``)."""
    errors: dict[str, DomainError] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = DomainError("helper_name_missing")
    email = str(data.get("email") or "").strip() or None
    if email and not valid_email(email):
        errors["email"] = DomainError("email_invalid", email=email)
    channels = parse_channels(data.get("channels"))
    if channels is None:
        errors["channels"] = DomainError("channels_missing")
        channels = ["sms"]
    phone = ""
    try:
        phone = contact_number(str(data.get("phone") or ""), channels, region, countries)
    except InvalidPhoneNumber as exc:
        errors["phone"] = exc
    except InvalidProfile as exc:
        errors.update(exc.problems)
    if ContactChannel.EMAIL.value in channels and not email:
        errors.setdefault("email", DomainError("email_needed_for_channel"))
    place = None
    try:
        place = lookup(str(data.get("postal_code") or ""))
    except UnknownPostalCode as exc:
        errors["postal_code"] = exc
    radius = _int_field(data, "radius_km", 5, 1, 50, errors)
    cap = _int_field(data, "max_per_week", 3, 1, 50, errors)
    activities = _split(data.get("activities"))
    known = {a.value for a in Activity}
    bad = [a for a in activities if a not in known]
    if bad or not activities:
        errors["activities"] = (
            DomainError(
                "activities_unknown_named", known=", ".join(sorted(known)), unknown=", ".join(bad)
            )
            if bad
            else DomainError("activities_unknown", known=", ".join(sorted(known)))
        )
    languages = _split(data.get("languages")) or ["de"]
    if any(not LANGUAGE_RE.match(code) for code in languages):
        errors["languages"] = DomainError("language_codes_expected")
    preferred = str(data.get("preferred_language") or languages[0]).strip().lower()
    if not LANGUAGE_RE.match(preferred):
        errors["preferred_language"] = DomainError("language_code_expected")
    availability: dict[str, list[list[str]]] = {}
    raw_avail = data.get("availability")
    if isinstance(raw_avail, dict):
        availability = raw_avail
    else:
        try:
            availability = parse_availability(str(raw_avail or ""))
        except DomainError as exc:
            errors["availability"] = exc
    consent = data.get("consent_at")
    if isinstance(consent, str) and consent.strip():
        try:
            consent = dt.datetime.fromisoformat(consent.strip())
            if consent.tzinfo is None:
                consent = consent.replace(tzinfo=dt.UTC)
        except ValueError:
            errors["consent_at"] = DomainError("consent_date_unreadable", value=consent)
    elif not isinstance(consent, dt.datetime):
        consent = None
    if errors:
        raise InvalidProfile(errors)
    assert place is not None
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
        preferred_language=preferred,
        email=email,
        channels=channels,
        consent_at=consent,
    )


#: A sane check of an address's shape: one @, a dot in the domain, no spaces or angle
#: brackets, labels not starting or ending with a hyphen, at most 254 characters.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def valid_email(address: str) -> bool:
    """Whether ``address`` looks like an address mail can be sent to."""
    local = address.split("@")[0]
    return (
        len(address) <= 254
        and _EMAIL.fullmatch(address) is not None
        and ".." not in local
        and not local.startswith(".")
        and not local.endswith(".")
    )


def parse_channels(value: Any) -> list[str] | None:
    """The channels of a form value (``sms``, ``email``, ``both``), a list (``["sms",
    "email"]``) or a CSV cell (``sms;email``); empty means SMS. None: not readable."""
    if value is None or value == "" or value == []:
        return ["sms"]
    if isinstance(value, str) and value.strip().lower() in CHANNEL_CHOICES:
        return [c.value for c in CHANNEL_CHOICES[value.strip().lower()]]
    codes = _split(value)
    known = {c.value for c in ContactChannel}
    if not codes or any(c not in known for c in codes):
        return None
    return list(dict.fromkeys(codes))


def _int_field(
    data: dict[str, Any],
    key: str,
    default: int,
    low: int,
    high: int,
    errors: dict[str, DomainError],
) -> int:
    raw = data.get(key)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors[key] = DomainError("not_a_whole_number", value=raw)
        return default
    if not low <= value <= high:
        errors[key] = DomainError("number_out_of_range", low=low, high=high)
    return value


def apply_profile(helper: Helper, profile: Profile) -> Helper:
    helper.name = profile.name
    helper.phone = profile.phone
    helper.email = profile.email
    helper.channels = profile.channels
    helper.postal_code = profile.postal_code
    helper.lat, helper.lon = profile.lat, profile.lon
    helper.radius_km = profile.radius_km
    helper.activities = profile.activities
    helper.languages = profile.languages
    helper.availability = profile.availability
    helper.max_per_week = profile.max_per_week
    helper.preferred_language = profile.preferred_language
    if profile.consent_at is not None:
        helper.consent_at = profile.consent_at
    return helper


def helper_by_phone(session: Session, phone: str) -> Helper | None:
    return session.scalars(select(Helper).where(Helper.phone == phone)).first()


def create_helper(session: Session, data: dict[str, Any], region: str = "DE") -> Helper:
    """Add a helper (coordinator form, import); the number must not be taken yet."""
    profile = validate_profile(data, region)
    if helper_by_phone(session, profile.phone) is not None:
        raise InvalidProfile({"phone": DomainError("phone_registered")})
    helper = apply_profile(Helper(status=HelperStatus.ACTIVE), profile)
    helper.consent_at = profile.consent_at or utcnow()
    session.add(helper)
    session.flush()
    return helper


def update_helper(
    session: Session, helper: Helper, data: dict[str, Any], region: str = "DE"
) -> Helper:
    """A coordinator's edit; status may be set to active or paused (opting out is the
    helper's own decision, by SMS)."""
    profile = validate_profile(data, region)
    other = helper_by_phone(session, profile.phone)
    if other is not None and other.id != helper.id:
        raise InvalidProfile({"phone": DomainError("phone_belongs_to_other")})
    apply_profile(helper, profile)
    status = data.get("status")
    allowed = (HelperStatus.ACTIVE.value, HelperStatus.PAUSED.value)
    if status in allowed and helper.status != HelperStatus.OPTED_OUT:
        helper.status = HelperStatus(status)
    session.flush()
    return helper


# -- CSV import -----------------------------------------------------------------------------


# -- public sign-up -------------------------------------------------------------------------


def _code_hash(code: str, salt: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def signup_profile(data: dict[str, Any], region: str = "DE") -> Profile:
    """The sign-up form checked as :func:`start_signup` checks it, storing nothing (the
    page needs the number to spend its budget before anything is stored or sent)."""
    profile = validate_profile(data, region, allowed_countries(signup=True))
    if not textable(profile.phone):
        # The sign-up is confirmed by a code texted to the number: a landline cannot get it.
        raise InvalidProfile({"phone": DomainError("signup_needs_mobile")})
    if not data.get("consent"):
        raise InvalidProfile({"consent": DomainError("consent_missing")})
    return profile


def start_signup(
    session: Session, data: dict[str, Any], salt: str, region: str = "DE"
) -> tuple[Signup, str | None]:
    """Validate the form and store it with a fresh 6-digit code; returns (signup, code).

    The code is texted to the number; only its hash is stored. A number that already
    belongs to a helper gets the same answer (so the form does not tell strangers who
    helps): a sign-up that can never be confirmed, keeping only the helper's language, and
    code ``None`` — text the owner that they are registered already instead of a code.
    """
    profile = signup_profile(data, region)
    existing = helper_by_phone(session, profile.phone)
    known = existing is not None and existing.status != HelperStatus.OPTED_OUT
    recent = session.scalar(
        select(func.count(Signup.id)).where(
            Signup.phone == profile.phone, Signup.created_at >= utcnow() - SIGNUP_WINDOW
        )
    )
    if recent >= SIGNUP_CODES_PER_WINDOW:  # the form must not become a way to spam a number
        raise InvalidProfile({"phone": DomainError("signup_codes_too_many")})
    if known:
        assert existing is not None
        signup = Signup(
            phone=profile.phone,
            code_hash="",  # matches no code: nothing to confirm
            profile={"preferred_language": existing.preferred_language},
            expires_at=utcnow() + SIGNUP_CODE_TTL,
        )
        session.add(signup)
        session.flush()
        return signup, None
    code = f"{secrets.randbelow(10**6):06d}"
    stored = {
        k: v for k, v in data.items() if k in CSV_COLUMNS and k not in ("consent_at", "status")
    }
    signup = Signup(
        phone=profile.phone,
        code_hash=_code_hash(code, salt),
        profile=stored,
        expires_at=utcnow() + SIGNUP_CODE_TTL,
    )
    session.add(signup)
    session.flush()
    return signup, code


def queue_signup_code(session: Session, signup: Signup, code: str | None) -> None:
    """Text the code to the number being signed up (sent after the commit, in bulk); a
    number that already belongs to a helper (``code`` None) is told so instead — the page
    answered exactly as for a new number, so it says nothing about who is registered."""
    from dispatch import texts
    from dispatch.outbound import SIGNUP_CODE, queue_text

    language = texts.language_for([signup.profile.get("preferred_language")])
    queue_text(
        session,
        SIGNUP_CODE,
        f"signup:{signup.id}",
        signup.phone,
        texts.sms("signup_known", language)
        if code is None
        else texts.sms("signup_code", language, code=code),
    )


class SignupFailed(DomainError):
    """A sign-up code that cannot confirm (closed, expired, wrong)."""


def confirm_signup(
    session: Session, signup_id: int, code: str, salt: str, region: str = "DE"
) -> Helper:
    """Check the code and create (or re-activate) the helper, with the consent timestamp."""
    signup = session.get(Signup, signup_id, with_for_update=True)
    now = utcnow()
    if signup is None or signup.confirmed_at is not None:
        raise SignupFailed("signup_closed")
    if signup.expires_at < now or signup.attempts >= SIGNUP_MAX_ATTEMPTS:
        raise SignupFailed("signup_code_expired")
    signup.attempts += 1
    if not hmac.compare_digest(signup.code_hash, _code_hash(code.strip(), salt)):
        raise SignupFailed("code_wrong")
    profile = validate_profile(signup.profile, region)
    profile.consent_at = now
    helper = helper_by_phone(session, profile.phone) or Helper()
    apply_profile(helper, profile)
    helper.status = HelperStatus.ACTIVE
    session.add(helper)
    signup.confirmed_at = now
    session.flush()
    return helper
