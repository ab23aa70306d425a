"""Development: log what would be sent instead of sending it."""

from __future__ import annotations

import itertools
import logging

from hotline.core.logs import mask_numbers_in_text
from hotline.core.phones import mask
from hotline.core.telephony.provider import TelephonyError
from hotline.core.telephony.webhooks import TwilioWebhooks

#: The seam's log, whichever backend is behind it.
log = logging.getLogger("hotline.core.telephony")


class ConsoleTelephony(TwilioWebhooks):
    """Logs what would be sent. Numbers are masked, in the text too (a helper who accepted
    gets the requester's number): logs are not a place for personal data. Links stay
    whole, so accept links can be clicked during development.

    Webhooks are checked as Twilio's are, with the app's ``TWILIO_AUTH_TOKEN`` unless
    ``auth_token`` is given, and answered in TwiML."""

    _ids = itertools.count(1)

    def __init__(self, region: str = "DE", auth_token: str | None = None) -> None:
        self.region = region
        self.auth_token = auth_token

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

    def redirect_call(self, call_sid: str, url: str) -> None:
        log.info("REDIRECT call %s (twiml: %s)", call_sid, url)

    def fetch_recording(self, recording: str) -> bytes:
        raise TelephonyError(f"no recording {recording!r}: the console keeps none", 404)

    def delete_recording(self, recording: str) -> None:
        log.info("DELETE recording %s", recording)
