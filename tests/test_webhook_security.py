"""Every Twilio endpoint refuses unsigned or wrongly signed requests, and signatures are
checked against the public URL even behind a reverse proxy."""

import pytest
from twilio.request_validator import RequestValidator

from hotline import create_app
from hotline.core.extensions import db
from tests.conftest import AUTH_TOKEN, test_config

TWILIO_ENDPOINTS = [
    "/twilio/voice",
    "/twilio/voice/node/menu?a=1",
    "/twilio/voice/screen?leg=1",
    "/twilio/voice/screen/answer?leg=1",
    "/twilio/voice/dial-result",
    "/twilio/voice/queue/wait",
    "/twilio/voice/queue/result",
    "/twilio/voice/queue/offer?call=1&op=1",
    "/twilio/voice/queue/offer/answer?call=1&op=1",
    "/twilio/voice/queue/bridge?op=1",
    "/twilio/voice/fallback-result",
    "/twilio/voice/voicemail",
    "/twilio/voice/status",
    "/twilio/voice/fallback",
    "/twilio/sms",
]


@pytest.mark.parametrize("path", TWILIO_ENDPOINTS)
def test_missing_signature_is_refused(twilio, path):
    assert twilio.post(path, signed=False).status_code == 403


@pytest.mark.parametrize("path", TWILIO_ENDPOINTS)
def test_wrong_signature_is_refused(app, path):
    response = app.test_client().post(
        path,
        data={"CallSid": "CA1", "To": "+4930120000"},
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
    )
    assert response.status_code == 403


def test_signature_over_different_parameters_is_refused(app):
    url = "https://hotline.example.org/twilio/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {"To": "+4930120000"})
    response = app.test_client().post(
        "/twilio/voice", data={"To": "+4930120001"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_signature_made_with_another_token_is_refused(app):
    url = "https://hotline.example.org/twilio/voice"
    form = {"To": "+4930120000", "CallSid": "CA1"}
    signature = RequestValidator("some-other-token").compute_signature(url, form)
    response = app.test_client().post(
        "/twilio/voice", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_valid_signature_is_accepted(twilio):
    assert twilio.post("/twilio/voice").status_code == 200


def test_without_auth_token_every_webhook_is_refused(connection, database_url, redis_url):
    app = create_app(test_config(database_url, redis_url, TWILIO_AUTH_TOKEN=""))
    db.bind_to(connection)
    response = app.test_client().post(
        "/twilio/voice", data={"To": "+4930120000"}, headers={"X-Twilio-Signature": "x"}
    )
    assert response.status_code == 403


def test_signature_is_checked_against_the_url_behind_a_reverse_proxy(
    connection, database_url, redis_url
):
    """No PUBLIC_BASE_URL, one trusted proxy: the URL Twilio used is rebuilt from its
    X-Forwarded-* headers."""
    app = create_app(test_config(database_url, redis_url, PUBLIC_BASE_URL="", PROXY_FIX_HOPS=1))
    db.bind_to(connection)
    form = {"To": "+4930120000", "CallSid": "CA" + "2" * 32, "From": "+4917612345678"}
    public = "https://public.example.net/twilio/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public, form)
    client = app.test_client()
    proxied = client.post(
        "/twilio/voice",
        data=form,
        base_url="http://10.0.0.5:8000",
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "public.example.net",
        },
    )
    direct = client.post(
        "/twilio/voice",
        data=form,
        base_url="http://10.0.0.5:8000",
        headers={"X-Twilio-Signature": signature},
    )
    assert proxied.status_code == 200
    assert direct.status_code == 403


def test_forwarded_headers_are_not_believed_without_a_configured_proxy(
    connection, database_url, redis_url
):
    """By default no proxy is trusted: a client cannot make the app believe it was asked
    for another URL (nor, for the sign-in throttle, from another address)."""
    app = create_app(test_config(database_url, redis_url, PUBLIC_BASE_URL=""))
    db.bind_to(connection)
    form = {"To": "+4930120000", "CallSid": "CA" + "3" * 32, "From": "+4917612345678"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "https://public.example.net/twilio/voice", form
    )
    response = app.test_client().post(
        "/twilio/voice",
        data=form,
        base_url="http://10.0.0.5:8000",
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "public.example.net",
        },
    )
    assert response.status_code == 403


def test_query_string_is_part_of_the_signed_url(twilio, app):
    url = "https://hotline.example.org/twilio/voice/node/menu?a=1"
    form = {"CallSid": "CA1", "To": "+4930120000"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    response = app.test_client().post(
        "/twilio/voice/node/menu?a=2", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
