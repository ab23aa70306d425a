"""Webhook signature checking, in one decorator."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request

from hotline.core.extensions import telephony
from hotline.core.telephony import SIGNATURE_HEADER

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


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 unless the provider's signature header is valid for this request."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            log.warning("webhook %s without %s", request.path, SIGNATURE_HEADER)
            abort(403)
        params = request.form.to_dict(flat=True) if request.method == "POST" else {}
        if not telephony().verify_signature(public_url(), params, signature):
            log.warning("webhook %s with an invalid signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapped
