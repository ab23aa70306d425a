"""Flask's signed-cookie sessions, without their set-up cost on requests that carry no cookie.

Flask builds its signing serializer on every request, cookie or not. Twilio's webhooks never
send a cookie, and the voice entry webhook is the hottest path in the app, so requests
without a session cookie start with an empty session straight away. Everything else (reading,
signing, saving cookies for the web pages) is Flask's own code.

``SESSION_SKIP_WITHOUT_COOKIE=false`` keeps Flask's own interface instead, so the benchmark can
weigh this against the plain path (docs/benchmarks.md, "Mechanisms").
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
