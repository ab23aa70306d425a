"""What a caller hears when the application cannot do its job (database down, bug, bad
configuration): the line's fallback number rings. Nothing here touches the database."""

from __future__ import annotations

import logging
import threading

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from hotline.core.extensions import telephony
from ivr_flows.messages import DEFAULT_VOICES, message

log = logging.getLogger(__name__)

_known: dict[str, str] = {}
_lock = threading.Lock()


def remember(line_number: str, fallback_number: str | None) -> None:
    """Keep the last fallback number seen for each line in memory, so an outage of the
    database after start-up still rings the number configured in the database."""
    if fallback_number and _known.get(line_number) != fallback_number:
        with _lock:
            _known[line_number] = fallback_number


def forget() -> None:
    """Drop the remembered numbers (tests; a changed configuration)."""
    with _lock:
        _known.clear()


def fallback_number(line_number: str) -> str | None:
    config = current_app.config
    return (
        config["FALLBACK_NUMBERS"].get(line_number)
        or _known.get(line_number)
        or config.get("FALLBACK_NUMBER")
        or None
    )


def fallback_response(line_number: str) -> Response:
    """TwiML that rings the fallback for ``line_number``, or apologises if there is none."""
    locale, voice = DEFAULT_VOICES["de"]
    response = VoiceResponse()
    number = fallback_number(line_number)
    if number:
        response.say(message("fallback", "de"), language=locale, voice=voice)
        response.dial(number, caller_id=line_number or None, timeout=30)
    else:
        log.error("no fallback number configured for %s", line_number or "unknown line")
    response.say(message("unavailable", "de"), language=locale, voice=voice)
    response.hangup()
    return twiml(response)


def twiml(response: VoiceResponse) -> Response:
    """The response document, written by the telephony provider."""
    return Response(telephony().render_response(response), mimetype="text/xml")
