"""Phone numbers: parse to E.164, refuse what the product must never text or call, mask for
logs.

Everything the product texts or rings goes through one of two checks:

* :func:`to_mobile_e164` — numbers that are texted (operators, helpers, coordinators): mobile
  numbers of the allowed countries only.
* :func:`to_dialable_e164` — numbers that are only rung (a line's fallback, a requester's
  callback number): mobile or fixed-line numbers, or free service numbers (0800), of the
  allowed countries.

Both refuse, whatever the country setting, premium-rate (0900), shared-cost (0137, 0180),
personal (0700), UAN, VoIP, pager, voicemail and unknown-type numbers, and satellite or
international-network numbers (+881, +882, +883, +870): calling or texting them costs money
or reaches someone else than the person who typed them, which makes every public form a way
to run up the organisation's bill. :func:`to_e164` only parses; it is for looking numbers up
and for numbers the organisation owns (its hotline numbers), never for deciding whom to
contact.

Countries are ISO 3166 codes from ``ALLOWED_COUNTRIES`` (``SIGNUP_ALLOWED_COUNTRIES`` for the
public helper sign-up, which may be narrower). A refusal is an :class:`InvalidPhoneNumber`
(a :class:`~hotline.core.errors.DomainError`) with a :class:`PhoneProblem` and parameters;
``str(exc)`` is English like every domain error, ``exc.text("de")`` is the German text.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from enum import Enum
from typing import Any

import phonenumbers
from flask import current_app, has_app_context
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType

from hotline.core.catalogues import text_in
from hotline.core.errors import N_, DomainError

DEFAULT_COUNTRIES = frozenset({"DE"})


class PhoneProblem(str, Enum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    INVALID = "invalid"
    #: A callable number that cannot take a text (``kind``: fixed_line, toll_free).
    NOT_MOBILE = "not_mobile"
    #: Never called nor texted (``kind``: premium_rate, shared_cost, personal_number, …).
    SPECIAL = "special"
    #: Satellite phones and international networks (+881, +882, +883, +870).
    NON_GEOGRAPHIC = "non_geographic"
    #: A country outside the allowed ones (``country``, ``allowed``).
    COUNTRY = "country"


#: ``kind: German msgid`` (a word of the message), named after phonenumbers' number types.
_KINDS: dict[str, str] = {
    "fixed_line": N_("Festnetznummer"),
    "toll_free": N_("kostenlose Servicenummer"),
    "premium_rate": N_("Premium-Dienst-Nummer (Mehrwertdienst)"),
    "shared_cost": N_("Servicenummer mit geteilten Kosten"),
    "personal_number": N_("persönliche Rufnummer"),
    "uan": N_("Nutzergruppen-Nummer"),
    "voip": N_("VoIP-Nummer"),
    "pager": N_("Pager-Nummer"),
    "voicemail": N_("Mailbox-Nummer"),
    "unknown": N_("Nummer unbekannter Art"),
}

_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
#: Rung but never texted: a fallback may be an office line or a free crisis line (0800).
_CALL_ONLY = {PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE}


class InvalidPhoneNumber(DomainError):
    """A number that was refused: ``problem`` and ``params`` say why (``kind`` is the
    number type's name), ``code`` is ``phone_`` + the problem; ``str()`` in English,
    :meth:`text` in any language."""

    def __init__(self, problem: PhoneProblem, **params: str) -> None:
        self.problem = problem
        super().__init__(f"phone_{problem.value}", **params)

    def text(self, language: str = "de") -> str:
        values: dict[str, object] = dict(self.params)
        if "kind" in values:
            values["kind"] = text_in(language, _KINDS[str(values["kind"])])
        return text_in(language, self.msgid, **values)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_phone, (self.problem, self.params))


def _rebuild_phone(problem: PhoneProblem, params: dict[str, str]) -> InvalidPhoneNumber:
    return InvalidPhoneNumber(problem, **params)


# -- allowed countries ------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _parse_countries(raw: str) -> frozenset[str]:
    codes = frozenset(c.strip().upper() for c in re.split(r"[,;\s]+", raw) if c.strip())
    unknown = sorted(codes - phonenumbers.SUPPORTED_REGIONS)
    if unknown:
        raise ValueError(f"unknown country code(s): {', '.join(unknown)} (use e.g. DE, AT)")
    if not codes:
        raise ValueError("at least one country code is needed (e.g. DE)")
    return codes


def parse_countries(value: str | Collection[str]) -> frozenset[str]:
    """``"DE, AT"`` (or ``["DE", "AT"]``) → ``{"DE", "AT"}``; unknown codes raise."""
    return _parse_countries(value if isinstance(value, str) else ",".join(sorted(value)))


def allowed_countries(signup: bool = False) -> frozenset[str]:
    """The running app's ``ALLOWED_COUNTRIES`` (``SIGNUP_ALLOWED_COUNTRIES`` for the public
    sign-up); Germany outside an app."""
    if not has_app_context():
        return DEFAULT_COUNTRIES
    key = "SIGNUP_ALLOWED_COUNTRIES" if signup else "ALLOWED_COUNTRIES"
    return parse_countries(current_app.config.get(key) or "DE")


def check_country_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with unknown country codes, or a sign-up country that is not allowed
    at all (its helpers could sign up but never be texted)."""
    allowed = parse_countries(config.get("ALLOWED_COUNTRIES") or "DE")
    signup = parse_countries(config.get("SIGNUP_ALLOWED_COUNTRIES") or "DE")
    if not signup <= allowed:
        extra = ", ".join(sorted(signup - allowed))
        raise ValueError(f"SIGNUP_ALLOWED_COUNTRIES has {extra}, which ALLOWED_COUNTRIES lacks")


# -- parsing and checks -----------------------------------------------------------------------


def _parse(raw: str, region: str) -> tuple[str, PhoneNumber]:
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber(PhoneProblem.EMPTY)
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(PhoneProblem.NOT_A_NUMBER, number=text) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(PhoneProblem.INVALID, number=text)
    return text, parsed


def _e164(parsed: PhoneNumber) -> str:
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _check(raw: str, region: str, countries: Collection[str] | None, textable: bool) -> str:
    text, parsed = _parse(raw, region)
    country = phonenumbers.region_code_for_number(parsed)
    if country not in phonenumbers.SUPPORTED_REGIONS:  # "001": no country at all
        raise InvalidPhoneNumber(PhoneProblem.NON_GEOGRAPHIC, number=text)
    kind = phonenumbers.number_type(parsed)
    if kind not in _MOBILE and kind not in _CALL_ONLY:
        raise InvalidPhoneNumber(PhoneProblem.SPECIAL, number=text, kind=_kind_name(kind))
    allowed = allowed_countries() if countries is None else parse_countries(countries)
    if country not in allowed:
        raise InvalidPhoneNumber(
            PhoneProblem.COUNTRY,
            number=text,
            country=country,
            allowed=", ".join(sorted(allowed)),
        )
    if textable and kind not in _MOBILE:
        raise InvalidPhoneNumber(PhoneProblem.NOT_MOBILE, number=text, kind=_kind_name(kind))
    return _e164(parsed)


_KIND_NAMES = {
    value: name.lower()
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and name.lower() in _KINDS
}


def _kind_name(kind: int) -> str:
    return _KIND_NAMES.get(kind, "unknown")


def to_e164(raw: str, region: str = "DE") -> str:
    """Normalise ``raw`` (``0151 2345 6789``, ``+49 151…``) to E.164 or raise.

    Only parses: for looking a number up and for the organisation's own numbers. Numbers the
    product contacts go through :func:`to_mobile_e164` or :func:`to_dialable_e164`.
    """
    return _e164(_parse(raw, region)[1])


def to_mobile_e164(raw: str, region: str = "DE", countries: Collection[str] | None = None) -> str:
    """A number that will be texted (and rung): a mobile number of an allowed country.

    ``FIXED_LINE_OR_MOBILE`` (North American numbers) counts as mobile: nothing tells the
    two apart there. ``countries`` defaults to ``ALLOWED_COUNTRIES``.
    """
    return _check(raw, region, countries, textable=True)


def to_dialable_e164(raw: str, region: str = "DE", countries: Collection[str] | None = None) -> str:
    """A number that will only be rung: mobile, landline or free service number (0800) of an
    allowed country; ``countries`` defaults to ``ALLOWED_COUNTRIES``."""
    return _check(raw, region, countries, textable=False)


def mask(number: str | None) -> str:
    """``+4915123456789`` → ``+49151*****89``: enough to tell numbers apart in a log."""
    if not number:
        return "-"
    if len(number) <= 6:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 8) + number[-2:]


def caller_hash(number: str, salt: str) -> str:
    """Salted hash for counting repeat callers without keeping the number."""
    return hmac.new(salt.encode(), number.encode(), hashlib.sha256).hexdigest()


def pretty(number: str) -> str:
    """International format for people to read."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except NumberParseException:
        return number
