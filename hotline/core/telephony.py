"""The one seam to the phone network: send an SMS, place a call.

:class:`TwilioTelephony` talks to Twilio's REST API (or any compatible server at
``TWILIO_API_BASE_URL``); :class:`ConsoleTelephony` logs instead, for development; tests use
either a :class:`RecordingTelephony` or the Twilio implementation against a local stand-in.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Protocol

from hotline.core.logs import mask_numbers_in_text
from hotline.core.phones import mask

log = logging.getLogger(__name__)

#: Twilio error codes that will not succeed on retry.
PERMANENT_ERRORS = {21211, 21408, 21610, 21612, 21614, 30006}


class TelephonyError(Exception):
    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        if self.code in PERMANENT_ERRORS:
            return False
        return self.status is None or self.status == 429 or self.status >= 500


class Telephony(Protocol):
    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send a text; return the provider's message id.

        ``status_callback``: absolute URL the provider posts this text's delivery status to.
        """

    def place_call(
        self, to: str, from_: str, url: str, timeout: int = 20, status_callback: str | None = None
    ) -> str:
        """Start an outbound call whose TwiML is fetched from ``url``; return the call id.

        ``status_callback``: absolute URL the provider posts the call's status to.
        """


class TwilioTelephony:
    def __init__(self, account_sid: str, auth_token: str, base_url: str = "") -> None:
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token)
        if base_url:
            # twilio-python builds every REST URL from the domain's base_url.
            self.client.api.base_url = base_url.rstrip("/")

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        from twilio.base.exceptions import TwilioRestException
        from twilio.base.values import unset

        try:
            return self.client.messages.create(
                to=to, from_=from_, body=body, status_callback=status_callback or unset
            ).sid
        except TwilioRestException as exc:
            raise TelephonyError(exc.msg, exc.status, exc.code) from exc

    def place_call(
        self, to: str, from_: str, url: str, timeout: int = 20, status_callback: str | None = None
    ) -> str:
        from twilio.base.exceptions import TwilioRestException
        from twilio.base.values import unset

        try:
            return self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                timeout=timeout,
                status_callback=status_callback or unset,
            ).sid
        except TwilioRestException as exc:
            raise TelephonyError(exc.msg, exc.status, exc.code) from exc


class ConsoleTelephony:
    """Logs what would be sent. Numbers are masked, in the text too (a helper who accepted
    gets the requester's number): logs are not a place for personal data. Links stay
    whole, so accept links can be clicked during development."""

    _ids = itertools.count(1)

    def __init__(self, region: str = "DE") -> None:
        self.region = region

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        sid = f"SMconsole{next(self._ids):08d}"
        log.info("SMS %s -> %s: %s", mask(from_), mask(to), mask_numbers_in_text(body, self.region))
        return sid

    def place_call(
        self, to: str, from_: str, url: str, timeout: int = 20, status_callback: str | None = None
    ) -> str:
        sid = f"CAconsole{next(self._ids):08d}"
        log.info("CALL %s -> %s (twiml: %s)", mask(from_), mask(to), url)
        return sid


@dataclass
class RecordingTelephony:
    """Keeps everything it is asked to send; for tests at the seam."""

    sms: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    fail_with: TelephonyError | None = None

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        if self.fail_with:
            raise self.fail_with
        self.sms.append({"to": to, "from": from_, "body": body, "status_callback": status_callback})
        return f"SM{len(self.sms):032d}"

    def place_call(
        self, to: str, from_: str, url: str, timeout: int = 20, status_callback: str | None = None
    ) -> str:
        if self.fail_with:
            raise self.fail_with
        self.calls.append({"to": to, "from": from_, "url": url, "status_callback": status_callback})
        return f"CA{len(self.calls):032d}"


def build_telephony(config: dict) -> Telephony:
    backend = config.get("TELEPHONY_BACKEND", "console")
    if backend == "twilio":
        if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")):
            raise ValueError(
                "TELEPHONY_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            )
        return TwilioTelephony(
            config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], config["TWILIO_API_BASE_URL"]
        )
    if backend == "console":
        return ConsoleTelephony(config.get("DEFAULT_REGION") or "DE")
    raise ValueError(f"TELEPHONY_BACKEND must be 'twilio' or 'console', not {backend!r}")
