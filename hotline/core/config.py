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
        # Seconds after which a Twilio webhook stops waiting and answers with the fallback.
        "WEBHOOK_DEADLINE_SECONDS": _float(env, "WEBHOOK_DEADLINE_SECONDS", 2.5),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RQ_QUEUE": env.get("RQ_QUEUE", "rufbereit"),
        # Seconds a request waits for Redis before it leaves the work to the sweep.
        "REDIS_SOCKET_TIMEOUT": _float(env, "REDIS_SOCKET_TIMEOUT", 1.0),
        # Each worker checks the periodic jobs this often (seconds).
        "SCHEDULER_TICK_SECONDS": _float(env, "SCHEDULER_TICK_SECONDS", 5.0),
        # Due delayed jobs (waves, retries, call-out rounds) are moved to their queues this often.
        "SCHEDULER_DELAYED_SECONDS": _float(env, "SCHEDULER_DELAYED_SECONDS", 1.0),
        # A periodic job whose worker died is run again elsewhere after at most this long.
        "SCHEDULER_TAKEOVER_SECONDS": _float(env, "SCHEDULER_TAKEOVER_SECONDS", 30.0),
        # Periodic job intervals other than the built-in ones: sweep-outbox=30,dispatch-sweep=60
        "SCHEDULER_INTERVALS": env.get("SCHEDULER_INTERVALS", ""),
        "TELEPHONY_BACKEND": env.get(
            "TELEPHONY_BACKEND", "twilio" if account_sid and auth_token else "console"
        ),
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL", ""),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        # Proxies whose X-Forwarded-For/-Proto/-Host are believed; 0 = none. Set it to the
        # number of reverse proxies in front of gunicorn (1 for one nginx): otherwise anyone
        # can claim any address (sign-in throttling) and the URL Twilio signed is not rebuilt.
        "PROXY_FIX_HOPS": _int(env, "PROXY_FIX_HOPS", 0),
        # Sign-up codes texted per hour: per client address, per phone number, overall (0 = off).
        "SIGNUP_CODES_PER_ADDRESS_HOUR": _int(env, "SIGNUP_CODES_PER_ADDRESS_HOUR", 10),
        "SIGNUP_CODES_PER_NUMBER_HOUR": _int(env, "SIGNUP_CODES_PER_NUMBER_HOUR", 3),
        "SIGNUP_CODES_PER_HOUR": _int(env, "SIGNUP_CODES_PER_HOUR", 200),
        # Organisation registrations per hour: per client address and overall (0 = off).
        "REGISTRATIONS_PER_ADDRESS_HOUR": _int(env, "REGISTRATIONS_PER_ADDRESS_HOUR", 5),
        "REGISTRATIONS_PER_HOUR": _int(env, "REGISTRATIONS_PER_HOUR", 50),
        # Texts of each kind sent per day before the rest wait and coordinators are alerted.
        "DAILY_TEXT_CAPS": env.get("DAILY_TEXT_CAPS", "signup_code=500,offer=5000"),
        "SECRET_KEY": secret,
        "DEFAULT_TIMEZONE": env.get("DEFAULT_TIMEZONE", "Europe/Berlin"),
        "DEFAULT_REGION": env.get("DEFAULT_REGION", "DE"),
        # Countries whose mobile numbers are texted and rung (ISO codes, comma-separated).
        "ALLOWED_COUNTRIES": env.get("ALLOWED_COUNTRIES", "DE"),
        # Countries the public helper sign-up accepts: ALLOWED_COUNTRIES or fewer.
        "SIGNUP_ALLOWED_COUNTRIES": env.get("SIGNUP_ALLOWED_COUNTRIES", "DE"),
        # Largest request body in bytes (uploads included); larger ones get a 413.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        "FALLBACK_NUMBER": env.get("FALLBACK_NUMBER", ""),
        "FALLBACK_NUMBERS": parse_fallback_numbers(env.get("FALLBACK_NUMBERS")),
        # Local file keeping each line's fallback number for outages after a restart.
        # Folder where inbound texts wait when neither the database nor Redis can take them.
        "INBOUND_SPOOL_DIR": env.get("INBOUND_SPOOL_DIR", "var/inbound-spool"),
        "FALLBACK_SNAPSHOT_PATH": env.get("FALLBACK_SNAPSHOT_PATH", "var/fallback-numbers.json"),
        "CALLER_HASH_SALT": env.get("CALLER_HASH_SALT", ""),
        "CALLER_NUMBER_RETENTION_DAYS": _int(env, "CALLER_NUMBER_RETENTION_DAYS", 30),
        "RECORDING_RETENTION_DAYS": _int(env, "RECORDING_RETENTION_DAYS", 90),
        # Days an inbound text's MessageSid and reply are kept to answer redeliveries once.
        "INBOUND_MESSAGE_RETENTION_DAYS": _int(env, "INBOUND_MESSAGE_RETENTION_DAYS", 30),
        "ROUTING_CACHE_SECONDS": _float(env, "ROUTING_CACHE_SECONDS", 2.0),
        "QUEUE_CALLOUT_INTERVAL": _int(env, "QUEUE_CALLOUT_INTERVAL", 45),
        "FLOWS_DIR": env.get("FLOWS_DIR", ""),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "SQL_ECHO": _bool(env.get("SQL_ECHO"), False),
    }
