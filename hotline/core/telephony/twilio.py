"""The thin Twilio implementation: REST through twilio's client, webhooks in Twilio's dialect.

A Twilio-compatible provider differs only in configuration: ``TWILIO_API_BASE_URL`` points
the same client at its REST API.
"""

from __future__ import annotations

import re

import requests

from hotline.core.telephony.provider import TelephonyError
from hotline.core.telephony.webhooks import TwilioWebhooks

#: A recording's id, and the account in a ``RecordingUrl``.
_RECORDING_SID = re.compile(r"\bRE[0-9a-fA-F]{32}\b")
_ACCOUNT_SID = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32})/")
#: Seconds to wait for a recording's audio.
RECORDING_TIMEOUT = 30
#: Seconds to wait for the provider's answer to a text or call: a silent provider must not
#: hold a worker (and the urgent queue behind it) until the job's own timeout.
REST_TIMEOUT = 10


def _network_error(exc: Exception) -> TelephonyError:
    """A failure below HTTP. Not connected at all: nothing was sent, try again. Connected,
    but no (whole) answer: the provider may have taken the request — not retried."""
    import requests

    unknown = not isinstance(exc, requests.exceptions.ConnectTimeout) and not (
        isinstance(exc, requests.exceptions.ConnectionError)
        and "Failed to establish a new connection" in str(exc)
    )
    return TelephonyError(
        f"provider unreachable: {exc.__class__.__name__}", outcome_unknown=unknown
    )


class TwilioTelephony(TwilioWebhooks):
    def __init__(
        self, account_sid: str, auth_token: str, base_url: str = "", timeout: float = REST_TIMEOUT
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        self.auth_token = auth_token
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
        except requests.RequestException as exc:
            raise _network_error(exc) from exc

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
        except requests.RequestException as exc:
            raise _network_error(exc) from exc

    def redirect_call(self, call_sid: str, url: str) -> None:
        from twilio.base.exceptions import TwilioRestException

        try:
            self.client.calls(call_sid).update(url=url, method="POST")
        except TwilioRestException as exc:
            raise TelephonyError(exc.msg, exc.status, exc.code) from exc
        except requests.RequestException as exc:
            raise _network_error(exc) from exc

    def fetch_recording(self, recording: str) -> bytes:
        """The recording as MP3. twilio's client reads every answer as text, so the audio is
        fetched with requests (which twilio uses underneath), with the same credentials."""
        import requests

        account, sid = self._recording(recording)
        url = f"{self.client.api.base_url}/2010-04-01/Accounts/{account}/Recordings/{sid}.mp3"
        try:
            response = requests.get(url, auth=self.client.auth, timeout=RECORDING_TIMEOUT)
        except requests.RequestException as exc:
            raise TelephonyError(f"recording {sid}: {exc}") from exc
        if response.status_code != 200:
            raise TelephonyError(
                f"recording {sid}: HTTP {response.status_code}", response.status_code
            )
        return response.content

    def delete_recording(self, recording: str) -> None:
        from twilio.base.exceptions import TwilioRestException

        account, sid = self._recording(recording)
        try:
            self.client.api.v2010.accounts(account).recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # already gone: what was asked for
            raise TelephonyError(exc.msg, exc.status, exc.code) from exc

    def _recording(self, recording: str) -> tuple[str, str]:
        """(account, recording id) from a ``RecordingUrl`` or a bare recording id."""
        sid = _RECORDING_SID.search(recording)
        if not sid:
            raise TelephonyError(f"not a Twilio recording: {recording!r}", 400)
        account = _ACCOUNT_SID.search(recording)
        return (account.group(1) if account else self.client.account_sid), sid.group(0)
