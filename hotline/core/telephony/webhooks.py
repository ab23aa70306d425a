"""Twilio's webhook dialect: requests signed in ``X-Twilio-Signature``, answered in TwiML.

Twilio-compatible providers sign their webhooks and read their answers the same way, so every
backend here shares this (the real one, the development console, the recording fake); a
provider with a dialect of its own would bring its own implementation of the two methods.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flask import current_app
from twilio.request_validator import RequestValidator

if TYPE_CHECKING:
    from twilio.twiml import TwiML

log = logging.getLogger(__name__)

#: The request header Twilio puts its signature in.
SIGNATURE_HEADER = "X-Twilio-Signature"


class TwilioWebhooks:
    """Signature check and response writing, with the provider's auth token.

    ``auth_token`` None means the running app's ``TWILIO_AUTH_TOKEN``, read at each request:
    the development backends follow the app's configuration (the terminal simulator signs
    with a token of its own for the length of a call).
    """

    auth_token: str | None = None

    def verify_signature(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Twilio's own check (``RequestValidator.validate``)."""
        token = self.auth_token if self.auth_token is not None else _configured_token()
        if not token:
            log.error("TWILIO_AUTH_TOKEN is not set; refusing Twilio webhooks")
            return False
        if not signature:
            return False
        return RequestValidator(token).validate(url, params, signature)

    def render_response(self, document: TwiML) -> str:
        """twilio's own serialisation (a hand-written writer was measured on whole calls and
        did not pay its way: docs/benchmarks.md, "Mechanisms")."""
        return str(document)


def _configured_token() -> str:
    return current_app.config.get("TWILIO_AUTH_TOKEN") or ""
