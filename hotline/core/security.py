"""Twilio webhook signature checking, in one decorator."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio requested, as it signed it.

    With ``PUBLIC_BASE_URL`` set, that base plus the path and query; otherwise the request URL
    as reconstructed by ``ProxyFix`` from the proxy's X-Forwarded-* headers.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        query = request.query_string.decode()
        return f"{base}{request.path}" + (f"?{query}" if query else "")
    return request.url


def _valid(validator: RequestValidator, url: str, params: dict[str, str], signature: str) -> bool:
    """Twilio's check, with the URL as given tried first: ``validate`` always computes two
    signatures (with and without the port), and the common case needs one."""
    expected = validator.compute_signature(url, params)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return validator.validate(url, params, signature)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 unless the request carries a valid ``X-Twilio-Signature``."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = current_app.config.get("TWILIO_AUTH_TOKEN")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token:
            log.error("TWILIO_AUTH_TOKEN is not set; refusing Twilio webhooks")
            abort(403)
        if not signature:
            log.warning("webhook %s without X-Twilio-Signature", request.path)
            abort(403)
        params = request.form.to_dict(flat=True) if request.method == "POST" else {}
        if not _valid(RequestValidator(token), public_url(), params, signature):
            log.warning("webhook %s with an invalid signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapped
