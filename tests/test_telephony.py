"""The telephony seam: one interface in both directions, the same in every implementation, and
a Twilio-compatible provider that differs from Twilio only in configuration."""

from __future__ import annotations

import base64
import functools
import inspect
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.core.telephony import (
    ConsoleTelephony,
    RecordingTelephony,
    Telephony,
    TelephonyError,
    TwilioTelephony,
    build_telephony,
)
from tests.conftest import AUTH_TOKEN
from tests.twilio_server import TwilioServer

ACCOUNT = "AC" + "0" * 32
RECORDING = "RE" + "a" * 32
URL = "https://hotline.example.org/twilio/voice?name=M%C3%BCller&x=a%2Fb"
FORM = {"CallSid": "CA" + "1" * 32, "From": "+4917612345678", "To": "+4930120000"}
IMPLEMENTATIONS = [TwilioTelephony, ConsoleTelephony, RecordingTelephony]


def _interface() -> list[str]:
    return [
        name
        for name, member in vars(Telephony).items()
        if inspect.isfunction(member) and not name.startswith("_")
    ]


def _instance(implementation: type, token: str = AUTH_TOKEN) -> Telephony:
    if implementation is TwilioTelephony:
        return TwilioTelephony(ACCOUNT, token)
    return implementation(auth_token=token)


def _signature(url: str = URL, form: dict[str, str] = FORM, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


# -- one interface --------------------------------------------------------------------------


def test_the_interface_covers_both_directions():
    assert set(_interface()) == {
        "send_sms",
        "place_call",
        "redirect_call",
        "fetch_recording",
        "delete_recording",
        "verify_signature",
        "render_response",
    }


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_implementation_has_each_method_of_the_interface_as_declared(implementation):
    """Same parameters in the same order, kinds, defaults and types; an implementation may
    only add parameters that can be left out."""
    for name in _interface():
        declared = inspect.signature(getattr(Telephony, name))
        actual = inspect.signature(getattr(implementation, name))
        params = list(actual.parameters.values())
        assert params[: len(declared.parameters)] == list(declared.parameters.values()), name
        extra = params[len(declared.parameters) :]
        assert all(p.default is not p.empty for p in extra), name
        assert actual.return_annotation == declared.return_annotation, name


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_implementation_is_a_telephony(implementation):
    assert isinstance(_instance(implementation), Telephony)


# -- inbound: signatures ---------------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_a_webhook_signed_as_twilio_signs_it_is_verified(implementation):
    assert _instance(implementation).verify_signature(URL, FORM, _signature())


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_a_signature_made_with_the_port_is_verified_without_it(implementation):
    signature = _signature(URL.replace(".org/", ".org:443/"))
    assert _instance(implementation).verify_signature(URL, FORM, signature)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_a_forged_signature_is_not_verified(implementation):
    telephony = _instance(implementation)
    assert not telephony.verify_signature(URL, FORM, _signature(token="another-token"))
    assert not telephony.verify_signature(URL, {**FORM, "To": "+4930999999"}, _signature())
    assert not telephony.verify_signature(URL.replace("%2F", "/"), FORM, _signature())
    assert not telephony.verify_signature(URL, FORM, "")


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_without_an_auth_token_nothing_is_verified(implementation):
    telephony = _instance(implementation, token="")
    assert not telephony.verify_signature(URL, FORM, _signature(token=""))


@pytest.mark.parametrize("implementation", [ConsoleTelephony, RecordingTelephony])
def test_development_backends_check_against_the_apps_auth_token_of_the_moment(implementation, app):
    """The terminal simulator signs with a token of its own for the length of a call."""
    telephony = implementation()
    with app.app_context():
        assert telephony.verify_signature(URL, FORM, _signature())
        app.config["TWILIO_AUTH_TOKEN"] = "simulator"
        assert telephony.verify_signature(URL, FORM, _signature(token="simulator"))
        assert not telephony.verify_signature(URL, FORM, _signature())


# -- inbound: response documents -------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_implementation_writes_voice_and_sms_responses_as_twiml(implementation):
    voice = VoiceResponse()
    voice.say("Grüße & bis bald", language="de-DE")
    voice.dial("+4915100000001", timeout=20)
    sms = MessagingResponse()
    sms.message("Danke & tschüss")
    telephony = _instance(implementation)
    assert telephony.render_response(voice) == str(voice)
    assert telephony.render_response(sms) == str(sms)


# -- choosing the backend --------------------------------------------------------------------


def test_the_twilio_backend_is_built_with_the_configured_credentials_and_api():
    telephony = build_telephony(
        {
            "TELEPHONY_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9/",
        }
    )
    assert isinstance(telephony, TwilioTelephony)
    assert telephony.client.api.base_url == "http://127.0.0.1:9"
    assert telephony.verify_signature(URL, FORM, _signature())


def test_the_console_backend_is_the_default():
    assert isinstance(build_telephony({}), ConsoleTelephony)


@pytest.mark.parametrize(
    "config",
    [
        {"TELEPHONY_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT},
        {"TELEPHONY_BACKEND": "twilio", "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        {"TELEPHONY_BACKEND": "sipgate"},
    ],
    ids=["no token", "no account", "unknown backend"],
)
def test_an_unusable_backend_configuration_is_refused_at_start(config):
    with pytest.raises(ValueError, match="TELEPHONY_BACKEND"):
        build_telephony(config)


# -- outbound through a Twilio-compatible provider ------------------------------------------


@dataclass
class RecordingsServer(TwilioServer):
    """The local Twilio-compatible server, with call recordings to fetch and delete."""

    recordings: dict[str, bytes] = field(default_factory=dict)
    authorizations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        # Polls for shutdown every 20 ms instead of 500, so each test stops it at once.
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self
        messages = super()._handler()

        class Handler(messages):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                server.authorizations.append(self.headers.get("Authorization", ""))
                sid = self.path.rsplit("/", 1)[-1].removesuffix(".mp3")
                audio = server.recordings.get(sid)
                self._answer(200 if audio is not None else 404, audio or b"", "audio/mpeg")

            def do_DELETE(self) -> None:  # noqa: N802 - http.server API
                sid = self.path.rsplit("/", 1)[-1].removesuffix(".json")
                if server.recordings.pop(sid, None) is None:
                    body = b'{"code": 20404, "message": "not found", "status": 404}'
                    self._answer(404, body, "application/json")
                else:
                    self._answer(204, b"", "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def provider():
    server = RecordingsServer().start()
    yield server
    server.stop()


@pytest.fixture
def compatible(provider) -> Telephony:
    """The Twilio backend, configured for the provider at TWILIO_API_BASE_URL."""
    return build_telephony(
        {
            "TELEPHONY_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": provider.base_url,
        }
    )


def test_a_compatible_provider_receives_texts(provider, compatible):
    sid = compatible.send_sms(
        "+4915100000001", "+4930120000", "Grüße", status_callback="https://h.example/s"
    )
    [message] = provider.messages
    assert message["sid"] == sid
    assert (message["To"], message["From"], message["Body"]) == (
        "+4915100000001",
        "+4930120000",
        "Grüße",
    )
    assert message["StatusCallback"] == "https://h.example/s"


def test_a_compatible_provider_receives_calls(provider, compatible):
    sid = compatible.place_call("+4915100000001", "+4930120000", "https://h.example/t", timeout=25)
    [call] = provider.calls
    assert call["sid"] == sid
    assert (call["To"], call["From"], call["Url"], call["Timeout"]) == (
        "+4915100000001",
        "+4930120000",
        "https://h.example/t",
        "25",
    )


def test_a_compatible_provider_redirects_a_live_call(provider, compatible):
    compatible.redirect_call("CA" + "7" * 32, "https://h.example/join")
    [update] = provider.updates
    assert (update["sid"], update["Url"], update["Method"]) == (
        "CA" + "7" * 32,
        "https://h.example/join",
        "POST",
    )
    assert provider.calls == []  # an update places no new call


def test_a_refusal_by_the_provider_is_a_permanent_telephony_error(provider, compatible):
    provider.fail("+4915100000001", status=400, code=21610)
    with pytest.raises(TelephonyError) as refused:
        compatible.send_sms("+4915100000001", "+4930120000", "x")
    assert (refused.value.status, refused.value.code, refused.value.retryable) == (
        400,
        21610,
        False,
    )


def test_a_busy_provider_is_a_retryable_telephony_error(provider, compatible):
    provider.fail("+4915100000001", status=429)
    with pytest.raises(TelephonyError) as busy:
        compatible.place_call("+4915100000001", "+4930120000", "https://h.example/t")
    assert busy.value.retryable


def test_a_recording_is_fetched_by_its_url_with_the_accounts_credentials(provider, compatible):
    provider.recordings[RECORDING] = b"ID3 audio"
    url = f"{provider.base_url}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}"
    assert compatible.fetch_recording(url) == b"ID3 audio"
    credentials = base64.b64encode(f"{ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
    assert provider.authorizations == [f"Basic {credentials}"]


def test_a_missing_recording_cannot_be_fetched(compatible):
    with pytest.raises(TelephonyError) as missing:
        compatible.fetch_recording(RECORDING)
    assert (missing.value.status, missing.value.retryable) == (404, False)


def test_a_recording_is_deleted_and_deleting_it_again_is_no_error(provider, compatible):
    provider.recordings[RECORDING] = b"ID3 audio"
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}"
    compatible.delete_recording(url)
    assert provider.recordings == {}
    compatible.delete_recording(RECORDING)


def test_something_that_is_no_recording_is_refused_without_asking_the_provider(
    provider, compatible
):
    with pytest.raises(TelephonyError) as refused:
        compatible.delete_recording("sim://recording")
    assert not refused.value.retryable
    assert provider.requests == []


# -- the fakes -------------------------------------------------------------------------------


def test_the_recording_fake_serves_and_deletes_the_recordings_it_is_given():
    fake = RecordingTelephony(recordings={RECORDING: b"ID3"})
    assert fake.fetch_recording(RECORDING) == b"ID3"
    fake.delete_recording(RECORDING)
    fake.delete_recording(RECORDING)
    assert fake.deleted_recordings == [RECORDING]
    with pytest.raises(TelephonyError):
        fake.fetch_recording(RECORDING)


def test_the_recording_fake_fails_every_outbound_request_when_told_to():
    fake = RecordingTelephony(fail_with=TelephonyError("down", 503))
    for request in (
        lambda: fake.send_sms("+4915100000001", "+4930120000", "x"),
        lambda: fake.place_call("+4915100000001", "+4930120000", "https://h.example/t"),
        lambda: fake.fetch_recording(RECORDING),
        lambda: fake.delete_recording(RECORDING),
    ):
        with pytest.raises(TelephonyError):
            request()
    assert fake.sms == [] and fake.calls == []


def test_the_console_logs_a_deletion_and_has_no_recordings(caplog):
    console = ConsoleTelephony()
    with caplog.at_level(logging.INFO, logger="hotline.core.telephony"):
        console.delete_recording(RECORDING)
    assert RECORDING in caplog.text
    with pytest.raises(TelephonyError) as missing:
        console.fetch_recording(RECORDING)
    assert not missing.value.retryable
