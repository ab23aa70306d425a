"""Configuration from environment variables.

Nothing here runs at import time: :func:`load_config` is called by ``create_app`` so tests and
scripts can build apps with their own settings. Every variable is listed in the README table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULT_SQLITE_URL = "sqlite:///var/rufbereit.db"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def parse_fallback_numbers(raw: str | None) -> dict[str, str]:
    """Parse ``FALLBACK_NUMBERS``: ``+49301111=+49302222,+49891111=+49892222``.

    Maps a hotline number to the number that rings when the database cannot be reached.
    """
    result: dict[str, str] = {}
    if not raw:
        return result
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"FALLBACK_NUMBERS entry {part!r} must look like +49301111=+49302222")
        line, fallback = (p.strip() for p in part.split("=", 1))
        result[line] = fallback
    return result


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from ``env`` (defaults to ``os.environ``)."""
    env = os.environ if env is None else env
    account_sid = env.get("TWILIO_ACCOUNT_SID", "")
    auth_token = env.get("TWILIO_AUTH_TOKEN", "")
    secret = env.get("SECRET_KEY", "")
    return {
        "ENV_NAME": env.get("RUFBEREIT_ENV", "production"),
        "DATABASE_URL": env.get("DATABASE_URL", DEFAULT_SQLITE_URL),
        "DB_CONNECT_TIMEOUT": _int(env, "DB_CONNECT_TIMEOUT", 2),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RQ_QUEUE": env.get("RQ_QUEUE", "rufbereit"),
        "TELEPHONY_BACKEND": env.get(
            "TELEPHONY_BACKEND", "twilio" if account_sid and auth_token else "console"
        ),
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL", ""),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "PROXY_FIX_HOPS": _int(env, "PROXY_FIX_HOPS", 1),
        "SECRET_KEY": secret,
        "DEFAULT_TIMEZONE": env.get("DEFAULT_TIMEZONE", "Europe/Berlin"),
        "DEFAULT_REGION": env.get("DEFAULT_REGION", "DE"),
        "FALLBACK_NUMBER": env.get("FALLBACK_NUMBER", ""),
        "FALLBACK_NUMBERS": parse_fallback_numbers(env.get("FALLBACK_NUMBERS")),
        "CALLER_HASH_SALT": env.get("CALLER_HASH_SALT", ""),
        "CALLER_NUMBER_RETENTION_DAYS": _int(env, "CALLER_NUMBER_RETENTION_DAYS", 30),
        "RECORDING_RETENTION_DAYS": _int(env, "RECORDING_RETENTION_DAYS", 90),
        "ROUTING_CACHE_SECONDS": _float(env, "ROUTING_CACHE_SECONDS", 2.0),
        "QUEUE_CALLOUT_INTERVAL": _int(env, "QUEUE_CALLOUT_INTERVAL", 45),
        # Outbound messages (hotline.core.messaging). Texts per second per sending number, 0 =
        # unlimited; the older DISPATCH_SMS_PER_SECOND is still read when this is not set.
        "SMS_PER_SECOND": _float(
            env, "SMS_PER_SECOND", _float(env, "DISPATCH_SMS_PER_SECOND", 1.0)
        ),
        # Calls per second per calling number, 0 = unlimited (the provider queues calls).
        "CALLS_PER_SECOND": _float(env, "CALLS_PER_SECOND", 0.0),
        # Provider attempts per message on 429/5xx (DISPATCH_SEND_ATTEMPTS still read).
        "MESSAGE_MAX_ATTEMPTS": _int(
            env, "MESSAGE_MAX_ATTEMPTS", _int(env, "DISPATCH_SEND_ATTEMPTS", 5)
        ),
        # First retry after this many seconds, doubling with each attempt ...
        "MESSAGE_BACKOFF_SECONDS": _float(env, "MESSAGE_BACKOFF_SECONDS", 2.0),
        # ... up to this many.
        "MESSAGE_BACKOFF_CAP_SECONDS": _float(env, "MESSAGE_BACKOFF_CAP_SECONDS", 300.0),
        # Longest a send job waits for a rate slot before it gives the worker back.
        "MESSAGE_SLICE_SECONDS": _float(env, "MESSAGE_SLICE_SECONDS", 1.0),
        # Days after which the text and number of a finished message are forgotten.
        "MESSAGE_RETENTION_DAYS": _int(env, "MESSAGE_RETENTION_DAYS", 30),
        "FLOWS_DIR": env.get("FLOWS_DIR", ""),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "SQL_ECHO": _bool(env.get("SQL_ECHO"), False),
    }
