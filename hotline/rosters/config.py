"""The rosters' settings, declared with the core's :class:`~hotline.core.config.Setting` and
read by its one loader (the composition root collects :data:`SETTINGS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotline.core.config import DEVELOPMENT_ENVS, Bool, Declarations, Float, Int

ROSTERS = "Rosters"

SETTINGS = Declarations()

SHIFT_REMINDER_MINUTES = SETTINGS.add(
    "SHIFT_REMINDER_MINUTES",
    Int(min=0),
    60,
    "Minutes before a shift that the operator gets an SMS reminder.",
    section=ROSTERS,
)
AVAILABILITY_HOURS = SETTINGS.add(
    "AVAILABILITY_HOURS",
    Float(min=0, max=24),
    4.0,
    "How long an operator who texted `AN`/`ON` stays available at most.",
    section=ROSTERS,
)
LOGIN_MAX_FAILURES = SETTINGS.add(
    "LOGIN_MAX_FAILURES",
    Int(min=1),
    5,
    "Failed sign-ins per account and address before the sign-in is locked for `LOGIN_LOCK_MINUTES`.",
    section=ROSTERS,
)
LOGIN_LOCK_MINUTES = SETTINGS.add(
    "LOGIN_LOCK_MINUTES",
    Int(min=1),
    15,
    "Minutes a sign-in stays locked after too many failures.",
    section=ROSTERS,
)


def _insecure_in_development(values: Mapping[str, Any]) -> bool:
    return values.get("ENV_NAME") in DEVELOPMENT_ENVS


ROSTER_INSECURE_COOKIES = SETTINGS.add(
    "ROSTER_INSECURE_COOKIES",
    Bool(),
    _insecure_in_development,
    "Send the sign-in cookie over plain HTTP too (no `Secure` flag); for local use only.",
    section=ROSTERS,
    default_doc="`true` in development, else `false`",
)
AVAILABILITY_RETENTION_DAYS = SETTINGS.add(
    "AVAILABILITY_RETENTION_DAYS",
    Int(min=1),
    90,
    "Days an ended `AN`/`AUS` availability is kept (for the shift statistics).",
    section=ROSTERS,
)
AUDIT_RETENTION_DAYS = SETTINGS.add(
    "AUDIT_RETENTION_DAYS",
    Int(min=30),
    730,
    "Days an entry of the shift audit log (who changed which shift) is kept.",
    section=ROSTERS,
)
STAFFING_DEMAND_WEEKS = SETTINGS.add(
    "STAFFING_DEMAND_WEEKS",
    Int(min=1, max=104),
    8,
    "Whole weeks of past calls the week view reads to compute the operators needed per hour (Erlang C).",
    section=ROSTERS,
)
SHIFT_CONFIRMATION_DAYS = SETTINGS.add(
    "SHIFT_CONFIRMATION_DAYS",
    Int(min=0, max=365),
    28,
    "Shifts a planner assigns that start within this many days are texted to the operator to confirm (`OK`/`NEIN`); 0 turns confirmations off.",
    section=ROSTERS,
)
OPEN_SHIFT_OFFER_DAYS = SETTINGS.add(
    "OPEN_SHIFT_OFFER_DAYS",
    Int(min=1, max=365),
    180,
    "An operator counts as one of a line's operators (and is offered its declined shifts by SMS) if they had a shift or were available on it within this many days.",
    section=ROSTERS,
)
