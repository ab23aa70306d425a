"""Every Twilio endpoint refuses unsigned or wrongly signed requests, and signatures are
checked against the public URL even behind a reverse proxy."""

from collections.abc import Mapping

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

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


# -- the exact URL Twilio requested, percent-encoding and all -------------------------------

#: Query strings as Twilio requests them: UTF-8 and reserved characters percent-encoded, a
#: space as %20 or +, an escaped unreserved character and an escaped percent sign.
ENCODED_QUERIES = [
    "?name=M%C3%BCller&x=a%2Fb",
    "?s=a%20b&p=a+b",
    "?t=%7E&pct=100%25",
    "?city=K%C3%B6ln&note=%D0%9F%D1%80%D0%B8%D0%B2%D1%96%D1%82",
]
FORM = {"To": "+4930120000", "CallSid": "CA" + "3" * 32, "From": "+4917612345678"}
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.net"}


def _sign(url: str, form: Mapping[str, str] = FORM, token: str = AUTH_TOKEN) -> dict[str, str]:
    """Twilio's signature: computed on the exact URL Twilio requested."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


@pytest.fixture
def proxied_app(connection, database_url, redis_url):
    """Behind one reverse proxy (trusted: PROXY_FIX_HOPS=1), without PUBLIC_BASE_URL."""
    app = create_app(test_config(database_url, redis_url, PUBLIC_BASE_URL="", PROXY_FIX_HOPS=1))
    db.bind_to(connection)
    return app


def _post_through_proxy(app, target: str, headers: dict[str, str], proxy=PROXY_HEADERS):
    return app.test_client().post(
        target, data=FORM, base_url="http://10.0.0.5:8000", headers={**proxy, **headers}
    )


def _post(request, public_base: bool, target: str, headers: dict[str, str]):
    """Straight to the app with PUBLIC_BASE_URL set, or through the proxy without it."""
    if public_base:
        app = request.getfixturevalue("app")
        return app.test_client().post(target, data=FORM, headers=headers)
    return _post_through_proxy(request.getfixturevalue("proxied_app"), target, headers)


@pytest.mark.parametrize("query", ENCODED_QUERIES)
def test_percent_encoded_query_is_accepted_with_public_base_url(app, query):
    headers = _sign(f"https://hotline.example.org/twilio/voice{query}")
    response = app.test_client().post(f"/twilio/voice{query}", data=FORM, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("query", ENCODED_QUERIES)
def test_percent_encoded_query_is_accepted_behind_a_proxy_without_public_base_url(
    proxied_app, query
):
    headers = _sign(f"https://public.example.net/twilio/voice{query}")
    assert _post_through_proxy(proxied_app, f"/twilio/voice{query}", headers).status_code == 200


def test_percent_encoded_query_is_accepted_behind_a_proxy_on_a_prefix_and_port(proxied_app):
    query = "?name=M%C3%BCller&x=a%2Fb"
    headers = _sign(f"https://public.example.net:8443/hotline/twilio/voice{query}")
    proxy = {**PROXY_HEADERS, "X-Forwarded-Port": "8443", "X-Forwarded-Prefix": "/hotline"}
    response = _post_through_proxy(proxied_app, f"/twilio/voice{query}", headers, proxy)
    assert response.status_code == 200


def test_percent_encoded_sms_webhook_is_accepted_behind_a_proxy(proxied_app):
    query = "?name=M%C3%BCller&x=a%2Fb"
    headers = _sign(f"https://public.example.net/twilio/sms{query}")
    assert _post_through_proxy(proxied_app, f"/twilio/sms{query}", headers).status_code == 200


@pytest.mark.parametrize("public_base", [True, False], ids=["public-base-url", "proxy"])
def test_signature_over_the_decoded_url_is_refused(public_base, request):
    """Twilio signs what it requested; the same URL decoded is another URL."""
    host = "hotline.example.org" if public_base else "public.example.net"
    headers = _sign(f"https://{host}/twilio/voice?name=Müller&x=a/b")
    target = "/twilio/voice?name=M%C3%BCller&x=a%2Fb"
    response = _post(request, public_base, target, headers)
    assert response.status_code == 403


def test_signature_for_an_escaped_slash_does_not_pass_for_a_plain_one(app):
    headers = _sign("https://hotline.example.org/twilio/voice?x=a%2Fb")
    response = app.test_client().post("/twilio/voice?x=a/b", data=FORM, headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize("public_base", [True, False], ids=["public-base-url", "proxy"])
def test_encoded_url_signed_with_another_token_is_refused(public_base, request):
    query = "?name=M%C3%BCller&x=a%2Fb"
    host = "hotline.example.org" if public_base else "public.example.net"
    headers = _sign(f"https://{host}/twilio/voice{query}", token="some-other-token")
    response = _post(request, public_base, f"/twilio/voice{query}", headers)
    assert response.status_code == 403


def test_encoded_url_without_signature_is_refused_behind_a_proxy(proxied_app):
    response = _post_through_proxy(proxied_app, "/twilio/voice?name=M%C3%BCller", {})
    assert response.status_code == 403


def _repeated(digits: list[str]) -> MultiDict:
    return MultiDict([*FORM.items(), *(("Digits", d) for d in digits)])


def test_every_value_of_a_repeated_parameter_is_signed(app):
    """Twilio signs each value of a parameter posted more than once."""
    headers = _sign("https://hotline.example.org/twilio/voice", _repeated(["1", "2"]))
    response = app.test_client().post("/twilio/voice", data=_repeated(["1", "2"]), headers=headers)
    assert response.status_code == 200


def test_a_value_added_to_a_signed_parameter_is_refused(app):
    headers = _sign("https://hotline.example.org/twilio/voice", _repeated(["1"]))
    response = app.test_client().post("/twilio/voice", data=_repeated(["1", "2"]), headers=headers)
    assert response.status_code == 403
