"""Webhook signature checking, in one decorator.

The provider signs the URL exactly as it requested it, percent-encoding included
(``?name=M%C3%BCller&x=a%2Fb``). The WSGI environ only has that URL in pieces: ``PATH_INFO`` is
percent-decoded (``%2F`` and ``/`` look the same there), and werkzeug's ``request.url`` is an
IRI that decodes the query as well. So the signed URL is rebuilt from the raw request target
the server received (``RAW_URI`` from gunicorn and werkzeug, ``REQUEST_URI`` from uWSGI and
mod_wsgi), and only re-quoted from ``PATH_INFO`` when the server gives no raw target.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from flask import abort, current_app, request
from werkzeug.wsgi import get_host

from hotline.core.extensions import telephony
from hotline.core.telephony import SIGNATURE_HEADER

log = logging.getLogger(__name__)

#: What a path keeps unescaped when re-quoted: RFC 3986's path characters, as Twilio sends them.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
#: An application root (``SCRIPT_NAME``, ``X-Forwarded-Prefix``) is quoted as werkzeug does:
#: what is already escaped stays as it is.
_ROOT_SAFE = "!$&'()*+,/:;=@%"
#: Everything printable in ASCII: a raw target is only escaped where it is not a valid URI.
_ASCII_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def public_url() -> str:
    """The URL the provider requested, as it signed it (see :func:`signed_url`)."""
    return signed_url(request.environ, current_app.config.get("PUBLIC_BASE_URL") or "")


def signed_url(environ: Mapping[str, Any], public_base: str = "") -> str:
    """The URL of this request as the client requested it, from the raw request target.

    With ``public_base`` (``PUBLIC_BASE_URL``), that base plus the raw path below the
    application root and the raw query. Without it, scheme, host, port and prefix as
    ``ProxyFix`` set them from the trusted ``X-Forwarded-*`` headers (``PROXY_FIX_HOPS``),
    then the same raw path and query.
    """
    path, query = _raw_path_and_query(environ)
    if public_base:
        root = public_base
    else:
        scheme = environ["wsgi.url_scheme"]
        root = f"{scheme}://{get_host(environ)}"
        script_name = environ.get("SCRIPT_NAME") or ""
        if script_name:
            root += quote(script_name.rstrip("/"), safe=_ROOT_SAFE)
    return root + path + ("?" + query if query is not None else "")


def _raw_path_and_query(environ: Mapping[str, Any]) -> tuple[str, str | None]:
    """The path below the application root, and the query (None: the target had no "?"),
    both as they came over the wire."""
    path_info = environ.get("PATH_INFO") or ""
    query = environ.get("QUERY_STRING") or ""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    raw_path = _target_path(target)
    if raw_path is not None:
        raw_query = query if "?" in target else None
        # The application root as the server saw it (ProxyFix keeps it when it replaces
        # SCRIPT_NAME with X-Forwarded-Prefix). gunicorn's raw target includes it,
        # werkzeug's test client's does not.
        original = environ.get("werkzeug.proxy_fix.orig") or environ
        root = original.get("SCRIPT_NAME") or ""
        candidates = [raw_path[len(root) :]] if root and raw_path.startswith(root) else []
        for candidate in [*candidates, raw_path]:
            if _decodes_to(candidate, path_info):
                return _ascii(candidate), (_ascii(raw_query) if raw_query else raw_query)
    # No raw target, or one that does not match what the app routes on: re-quote, as Twilio
    # quotes. Only an escaped "/" (or another escaped reserved character) in the path is lost.
    path = quote(path_info.encode("latin-1"), safe=_PATH_SAFE)
    return path, (_ascii(query) if query else None)


def _target_path(target: str) -> str | None:
    """The path of a request target: origin form (``/a?b``) or absolute form
    (``https://host/a?b``, which HTTP/1.1 servers must accept)."""
    if not target:
        return None
    if not target.startswith("/"):
        scheme_end = target.find("://")
        if scheme_end < 0:
            return None
        slash = target.find("/", scheme_end + 3)
        question = target.find("?", scheme_end + 3)
        if slash < 0 or 0 <= question < slash:
            return None
        target = target[slash:]
    return target.partition("?")[0]


def _decodes_to(raw: str, path_info: str) -> bool:
    """Whether a raw path is the one ``PATH_INFO`` was decoded from (WSGI strings carry
    bytes as latin-1)."""
    try:
        return unquote_to_bytes(raw.encode("latin-1")).decode("latin-1") == path_info
    except UnicodeEncodeError:
        return False


def _ascii(text: str) -> str:
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return quote(text.encode("latin-1", "replace"), safe=_ASCII_SAFE)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 unless the provider's signature header is valid for this request."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            log.warning("webhook %s without %s", request.path, SIGNATURE_HEADER)
            abort(403)
        params = request.form if request.method == "POST" else {}
        if not telephony().verify_signature(public_url(), params, signature):
            log.warning("webhook %s with an invalid signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapped
