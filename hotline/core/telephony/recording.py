"""A fake that keeps everything it is asked to send, for tests at the seam."""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.core.telephony.provider import TelephonyError
from hotline.core.telephony.webhooks import TwilioWebhooks


@dataclass
class RecordingTelephony(TwilioWebhooks):
    """Keeps the texts and calls it is asked to send and the live calls it redirects; serves the ``recordings`` a test gives
    it and keeps the ids of those deleted. ``fail_with`` makes every outbound request fail.

    Webhooks are checked as Twilio's are, with the app's ``TWILIO_AUTH_TOKEN`` unless
    ``auth_token`` is given, so tests sign them as Twilio would."""

    sms: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    #: Live calls told to run other TwiML: ``{"call_sid": …, "url": …}``.
    redirects: list[dict[str, str]] = field(default_factory=list)
    fail_with: TelephonyError | None = None
    recordings: dict[str, bytes] = field(default_factory=dict)
    deleted_recordings: list[str] = field(default_factory=list)
    auth_token: str | None = None

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        self._fail()
        self.sms.append({"to": to, "from": from_, "body": body, "status_callback": status_callback})
        return f"SM{len(self.sms):032d}"

    def place_call(
        self, to: str, from_: str, url: str, timeout: int = 20, status_callback: str | None = None
    ) -> str:
        self._fail()
        self.calls.append({"to": to, "from": from_, "url": url, "status_callback": status_callback})
        return f"CA{len(self.calls):032d}"

    def redirect_call(self, call_sid: str, url: str) -> None:
        self._fail()
        self.redirects.append({"call_sid": call_sid, "url": url})

    def fetch_recording(self, recording: str) -> bytes:
        self._fail()
        if recording not in self.recordings:
            raise TelephonyError(f"no recording {recording!r}", 404)
        return self.recordings[recording]

    def delete_recording(self, recording: str) -> None:
        self._fail()
        if self.recordings.pop(recording, None) is not None:
            self.deleted_recordings.append(recording)

    def _fail(self) -> None:
        if self.fail_with:
            raise self.fail_with
