"""The URL a webhook's signature is checked against is the one the provider requested, rebuilt
from the raw request target the WSGI server received, whichever server it is."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.core.security import signed_url

QUERY = "name=M%C3%BCller&x=a%2Fb&s=a%20b"


def environ(**overrides: Any) -> dict[str, Any]:
    """A request as gunicorn hands it over: ``RAW_URI`` as received, ``PATH_INFO`` decoded
    (bytes as latin-1, as WSGI carries them), ``QUERY_STRING`` raw."""
    base = {
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "public.example.net",
        "SERVER_NAME": "10.0.0.5",
        "SERVER_PORT": "8000",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/twilio/voice",
        "QUERY_STRING": QUERY,
        "RAW_URI": f"/twilio/voice?{QUERY}",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def through_proxy_fix(env: dict[str, Any]) -> dict[str, Any]:
    """The environ as the app sees it behind ProxyFix trusting one proxy."""
    seen: dict[str, Any] = {}

    def app(environ, start_response):  # noqa: ANN001, ANN202
        seen.update(environ)
        return []

    ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)(env, lambda *a: None)
    return seen


def test_the_raw_query_is_kept_as_it_was_sent():
    assert signed_url(environ()) == f"https://public.example.net/twilio/voice?{QUERY}"


def test_with_a_public_base_url_the_base_takes_the_place_of_scheme_and_host():
    url = signed_url(environ(), "https://hotline.example.org")
    assert url == f"https://hotline.example.org/twilio/voice?{QUERY}"


@pytest.mark.parametrize("base", ["", "https://hotline.example.org"], ids=["proxy", "base"])
def test_an_escaped_character_in_the_path_stays_escaped(base):
    env = environ(RAW_URI="/twilio/%76oice/a%2Fb", PATH_INFO="/twilio/voice/a/b", QUERY_STRING="")
    assert signed_url(env, base).endswith("/twilio/%76oice/a%2Fb")


def test_a_uwsgi_request_uri_serves_as_well():
    env = environ(RAW_URI=None, REQUEST_URI="/twilio/voice?x=a%2Fb", QUERY_STRING="x=a%2Fb")
    assert signed_url(env) == "https://public.example.net/twilio/voice?x=a%2Fb"


def test_an_absolute_form_request_target_gives_its_path_and_query():
    env = environ(RAW_URI=f"https://public.example.net/twilio/voice?{QUERY}")
    assert signed_url(env) == f"https://public.example.net/twilio/voice?{QUERY}"


def test_a_question_mark_with_nothing_after_it_is_part_of_the_url():
    env = environ(RAW_URI="/twilio/voice?", QUERY_STRING="")
    assert signed_url(env) == "https://public.example.net/twilio/voice?"


def test_without_a_raw_target_the_path_is_quoted_again_as_twilio_quotes_it():
    path_info = "/twilio/voice/Müller a~b;c".encode().decode("latin-1")
    env = environ(RAW_URI=None, PATH_INFO=path_info)
    assert signed_url(env) == (
        f"https://public.example.net/twilio/voice/M%C3%BCller%20a~b;c?{QUERY}"
    )


def test_a_raw_target_that_is_not_the_routed_path_is_not_trusted():
    """Something between server and app rewrote the path: sign what the app routes on."""
    env = environ(RAW_URI="/old/voice?x=1", QUERY_STRING="x=1")
    assert signed_url(env) == "https://public.example.net/twilio/voice?x=1"


def test_raw_bytes_outside_ascii_are_escaped():
    raw = "/twilio/voice?name=Müller".encode().decode("latin-1")
    env = environ(RAW_URI=raw, QUERY_STRING=raw.partition("?")[2])
    assert signed_url(env) == "https://public.example.net/twilio/voice?name=M%C3%BCller"


@pytest.mark.parametrize("base", ["", "https://hotline.example.org"], ids=["proxy", "base"])
def test_the_servers_own_script_name_is_not_counted_twice(base):
    """gunicorn's raw target includes SCRIPT_NAME; the path below it follows the root."""
    env = environ(SCRIPT_NAME="/app", RAW_URI=f"/app/twilio/voice?{QUERY}")
    root = base or "https://public.example.net/app"
    assert signed_url(env, base) == f"{root}/twilio/voice?{QUERY}"


def test_behind_proxy_fix_scheme_host_port_and_prefix_come_from_the_proxy():
    env = through_proxy_fix(
        environ(
            **{
                "wsgi.url_scheme": "http",
                "HTTP_HOST": "10.0.0.5:8000",
                "HTTP_X_FORWARDED_PROTO": "https",
                "HTTP_X_FORWARDED_HOST": "public.example.net",
                "HTTP_X_FORWARDED_PORT": "8443",
                "HTTP_X_FORWARDED_PREFIX": "/hotline",
            }
        )
    )
    assert signed_url(env) == f"https://public.example.net:8443/hotline/twilio/voice?{QUERY}"


def test_behind_proxy_fix_the_prefix_replaces_the_servers_script_name():
    env = through_proxy_fix(
        environ(
            SCRIPT_NAME="/app",
            RAW_URI=f"/app/twilio/voice?{QUERY}",
            HTTP_X_FORWARDED_PREFIX="/hotline",
        )
    )
    assert signed_url(env) == f"https://public.example.net/hotline/twilio/voice?{QUERY}"


def test_the_default_port_is_left_out_as_the_request_url_leaves_it_out():
    env = environ(HTTP_HOST="public.example.net:443")
    assert signed_url(env) == f"https://public.example.net/twilio/voice?{QUERY}"
