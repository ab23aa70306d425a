"""Roster settings from environment variables (listed in the README table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def load_roster_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    return {
        "AVAILABILITY_HOURS": _number(env, "AVAILABILITY_HOURS", 4),
        "SHIFT_REMINDER_MINUTES": int(_number(env, "SHIFT_REMINDER_MINUTES", 60)),
        "LOGIN_MAX_FAILURES": int(_number(env, "LOGIN_MAX_FAILURES", 5)),
        "LOGIN_LOCK_MINUTES": int(_number(env, "LOGIN_LOCK_MINUTES", 15)),
    }
