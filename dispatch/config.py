"""Dispatch settings from environment variables (listed in the README's dispatch section)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def load_dispatch_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    return {
        "DISPATCH_WAVE_FACTOR": _int(env, "DISPATCH_WAVE_FACTOR", 3),
        "DISPATCH_WAVE_MINUTES": _int(env, "DISPATCH_WAVE_MINUTES", 20),
        "DISPATCH_MAX_WAVES": _int(env, "DISPATCH_MAX_WAVES", 3),
        "DISPATCH_SMS_FROM": env.get("DISPATCH_SMS_FROM", ""),
        "DISPATCH_SMS_PER_SECOND": _float(env, "DISPATCH_SMS_PER_SECOND", 1.0),
        "DISPATCH_SEND_ATTEMPTS": _int(env, "DISPATCH_SEND_ATTEMPTS", 5),
        "DISPATCH_MAX_RADIUS_KM": _int(env, "DISPATCH_MAX_RADIUS_KM", 50),
        "DISPATCH_QUIET_START": _int(env, "DISPATCH_QUIET_START", 21),
        "DISPATCH_QUIET_END": _int(env, "DISPATCH_QUIET_END", 8),
        "DISPATCH_TIMEZONE": env.get("DISPATCH_TIMEZONE", ""),
        "DISPATCH_COORDINATOR_NUMBERS": [
            n.strip() for n in env.get("DISPATCH_COORDINATOR_NUMBERS", "").split(",") if n.strip()
        ],
    }
