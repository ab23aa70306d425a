"""Behind a reverse proxy, in a real gunicorn worker (which hands the raw request target over
as ``RAW_URI``), webhooks Twilio signed for URLs with percent-encoded characters are accepted,
with and without ``PUBLIC_BASE_URL``; forged ones are not."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import AUTH_TOKEN

ROOT = Path(__file__).resolve().parent.parent
#: The worker boots while the first request waits in the listening socket's backlog.
BOOT_TIMEOUT = 60
#: An unusable sender: the SMS webhook answers without touching the database.
FORM = {"From": "anonymous", "To": "+4930120000", "Body": "Hallo", "MessageSid": "SM" + "1" * 32}
TARGET = "/twilio/sms?name=M%C3%BCller&x=a%2Fb&s=a%20b"
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.net"}


@pytest.fixture(
    scope="module",
    params=["", "https://hotline.example.org"],
    ids=["without-public-base-url", "with-public-base-url"],
)
def gunicorn(request, tmp_path_factory) -> Iterator[tuple[int, str]]:
    """A gunicorn serving the app on a socket bound here (no port to guess); yields the
    port and the public base Twilio requests."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('gunicorn') / 'unused.db'}",
        "REDIS_URL": "",
        "TELEPHONY_BACKEND": "console",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": request.param,
        "PROXY_FIX_HOPS": "1",
        "SECRET_KEY": "test-secret",
        "RUFBEREIT_ENV": "testing",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{listener.fileno()}",
            "--workers",
            "1",
            "--no-control-socket",
            "--log-level",
            "warning",
            "hotline:create_app()",
        ],
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
    )
    listener.close()  # gunicorn holds it now; should it exit, connections are refused
    try:
        yield port, request.param or "https://public.example.net"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post(port: int, target: str, signed_for: str | None, token: str = AUTH_TOKEN) -> int:
    """POST as the proxy passes Twilio's request on; signed for the URL ``signed_for``."""
    headers = {**PROXY, "Content-Type": "application/x-www-form-urlencoded"}
    if signed_for is not None:
        signature = RequestValidator(token).compute_signature(signed_for, FORM)
        headers["X-Twilio-Signature"] = signature
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=BOOT_TIMEOUT)
    try:
        connection.request("POST", target, body=urlencode(FORM), headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_percent_encoded_url_signed_by_twilio_is_accepted(gunicorn):
    port, public = gunicorn
    assert post(port, TARGET, public + TARGET) == 200


def test_an_escaped_path_signed_by_twilio_is_accepted(gunicorn):
    port, public = gunicorn
    target = "/twilio/%73ms?x=a%2Fb"
    assert post(port, target, public + target) == 200


def test_a_signature_over_the_decoded_url_is_refused(gunicorn):
    port, public = gunicorn
    assert post(port, TARGET, public + "/twilio/sms?name=Müller&x=a/b&s=a b") == 403


def test_a_signature_made_with_another_token_is_refused(gunicorn):
    port, public = gunicorn
    assert post(port, TARGET, public + TARGET, token="some-other-token") == 403


def test_a_request_without_signature_is_refused(gunicorn):
    port, _ = gunicorn
    assert post(port, TARGET, None) == 403
