"""Phone numbers: parse to E.164, reject what cannot take a call, mask for logs."""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType


class InvalidPhoneNumber(ValueError):
    """Raised with a message fit to show to the person who typed the number."""


_LANDLINE_TYPES = {PhoneNumberType.FIXED_LINE}


def to_e164(raw: str, region: str = "DE") -> str:
    """Normalise ``raw`` (``0151 2345 6789``, ``+49 151…``) to E.164 or raise."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Phone number is empty.")
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number ({exc._msg}).") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def to_mobile_e164(raw: str, region: str = "DE") -> str:
    """Like :func:`to_e164`, but refuse numbers known to be landlines.

    Operators are rung on their own mobiles and get SMS; a landline cannot take either.
    ``FIXED_LINE_OR_MOBILE`` (e.g. US numbers) is accepted because it may be a mobile.
    """
    number = to_e164(raw, region)
    kind = phonenumbers.number_type(phonenumbers.parse(number))
    if kind in _LANDLINE_TYPES:
        raise InvalidPhoneNumber(
            f"{raw.strip()!r} is a landline number; operators need a mobile number."
        )
    return number


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
