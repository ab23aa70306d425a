"""The provider-neutral interface to the phone network, in both directions.

Outbound, the app sends texts, places calls and (for retention) fetches and deletes call
recordings. Inbound, the provider's webhooks are checked for its signature and answered with
a response document the provider reads. Everything above this interface speaks only to
:class:`Telephony`; which provider is behind it is configuration (``build_telephony``).

Responses are built with twilio's TwiML builders: TwiML is the response language of Twilio
and of the Twilio-compatible providers, and the provider writes the document out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from twilio.twiml import TwiML

#: Twilio error codes that will not succeed on retry.
PERMANENT_ERRORS = {21211, 21408, 21610, 21612, 21614, 30006}


class TelephonyError(Exception):
    """The provider refused or could not be reached; ``retryable`` says whether to try again."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        code: int | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        #: The request may have reached the provider (the answer was cut or never came):
        #: trying again could send the text twice, so it is reported instead.
        self.outcome_unknown = outcome_unknown

    @property
    def retryable(self) -> bool:
        if self.code in PERMANENT_ERRORS or self.outcome_unknown:
            return False
        return self.status is None or self.status == 429 or self.status >= 500


@runtime_checkable
class Telephony(Protocol):
    # -- outbound ---------------------------------------------------------------------------

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

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Make a live call fetch and run the TwiML at ``url`` now (Twilio's call update).

        Used to move an operator's accepted leg out of the caller's ``<Dial>`` into the call's
        conference, so a third person can be added later without anyone being dropped.
        """

    def fetch_recording(self, recording: str) -> bytes:
        """The audio of a call recording (``recording``: its id or the URL the provider
        posted as ``RecordingUrl``). Raises :class:`TelephonyError` if there is none."""

    def delete_recording(self, recording: str) -> None:
        """Delete a call recording at the provider, for retention. Deleting one that is
        already gone is not an error, so a retention job can simply run again."""

    # -- inbound ----------------------------------------------------------------------------

    def verify_signature(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Whether a webhook really comes from the provider: ``url`` exactly as the provider
        requested it (percent-encoding and all), ``params`` the posted form, ``signature``
        the request's signature header."""

    def render_response(self, document: TwiML) -> str:
        """The text of a voice or SMS response document, as the provider reads it."""
