"""The one seam to the phone network, in both directions.

:mod:`~hotline.core.telephony.provider` is the provider-neutral interface
(:class:`Telephony`, :class:`TelephonyError`): send texts, place calls, fetch and delete
recordings; check an inbound webhook's signature and write the response document.
Implementations: :class:`TwilioTelephony` (Twilio's REST API, or any Twilio-compatible one at
``TWILIO_API_BASE_URL``), :class:`ConsoleTelephony` (development: logs, numbers masked) and
:class:`RecordingTelephony` (tests at the seam). :func:`build_telephony` picks one from the
configuration.

The interface lives in its own module rather than here so that the implementations can import
it without importing this package, which imports them (no import cycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotline.core.telephony.console import ConsoleTelephony
from hotline.core.telephony.provider import PERMANENT_ERRORS, Telephony, TelephonyError
from hotline.core.telephony.recording import RecordingTelephony
from hotline.core.telephony.twilio import TwilioTelephony
from hotline.core.telephony.webhooks import SIGNATURE_HEADER

__all__ = [
    "PERMANENT_ERRORS",
    "SIGNATURE_HEADER",
    "ConsoleTelephony",
    "RecordingTelephony",
    "Telephony",
    "TelephonyError",
    "TwilioTelephony",
    "build_telephony",
]


def build_telephony(config: Mapping[str, Any]) -> Telephony:
    """The backend ``TELEPHONY_BACKEND`` names: ``twilio`` (also for Twilio-compatible
    providers) or ``console``."""
    backend = config.get("TELEPHONY_BACKEND", "console")
    if backend == "twilio":
        if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")):
            raise ValueError(
                "TELEPHONY_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            )
        return TwilioTelephony(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config.get("TWILIO_API_BASE_URL") or "",
        )
    if backend == "console":
        return ConsoleTelephony(config.get("DEFAULT_REGION") or "DE")
    raise ValueError(f"TELEPHONY_BACKEND must be 'twilio' or 'console', not {backend!r}")
