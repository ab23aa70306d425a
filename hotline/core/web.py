"""What every response of the app gets: security headers. (A request body over
``MAX_CONTENT_LENGTH`` is answered by the 413 page of :mod:`hotline.core.pages`.)

* ``Content-Security-Policy``: scripts, styles, images and form targets from this site only,
  no inline script or style (the templates have none; styles live in ``static/``), and
  ``frame-ancestors 'none'`` (with ``X-Frame-Options: DENY`` for older browsers) so no other
  site can frame a page and trick a planner into clicking.
* ``X-Content-Type-Options: nosniff``: an uploaded or exported file is never run as a script.
* ``Referrer-Policy: strict-origin-when-cross-origin``, unless a view set its own (the
  dispatch accept links carry a token and send no referrer at all).
* ``Strict-Transport-Security`` when the request came over https (behind a proxy, that needs
  ``PROXY_FIX_HOPS``); a plain-http development server is not told to insist on https.

Headers a view or blueprint already set are kept. Flask-Talisman would do the same job but
overwrites a view's own Referrer-Policy, and its https redirect and cookie flags would
compete with the settings the app already makes (``ROSTER_INSECURE_COOKIES``).
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
#: One year; no ``includeSubDomains``: other hosts of the organisation are not ours to pin.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def init_app(app: Flask) -> None:
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    headers = response.headers
    for name, value in HEADERS:
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def size_text(limit: int) -> str:
    """``2097152`` → ``2 MB``, ``1572864`` → ``1,5 MB``, ``1000`` → ``1000 Bytes``."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " MB"
    if limit >= 1024:
        return f"{limit // 1024} KB"
    return f"{limit} Bytes"
