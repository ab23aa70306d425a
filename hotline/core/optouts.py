"""Opt-outs: one list for the whole product. A number on it gets no text of any kind; each
feature learns of a change through :meth:`Registry.on_opt_out` to update its own records
(dispatch withdraws the helper's open offers, for instance).

The keywords are answered by the core before any feature sees the text, for any sender and
whichever number was texted (see :mod:`hotline.core.inbound`): an opt-out is a legal
declaration, so it must not depend on who the sender is to a feature or on which number they
chose. A carrier's "unsubscribed" error (Twilio 21610) goes through :func:`opt_out` as well, with
``source="provider"``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.core.models import OptOut, utcnow
from hotline.core.registry import registry

#: Keywords that end every text to the sender (Twilio's defaults and German usage).
STOP_WORDS = frozenset(
    {
        "STOP",
        "STOPP",
        "STOPALL",
        "ABMELDEN",
        "UNSUBSCRIBE",
        "END",
        "ENDE",
        "QUIT",
        "CANCEL",
        "OPTOUT",
        "REVOKE",
    }
)
#: Keywords that allow texts again.
START_WORDS = frozenset({"START", "UNSTOP", "ANMELDEN"})

#: Confirmations, German first; the core does not know the sender's language.
OPTED_OUT_REPLY = (
    "Sie sind abgemeldet und bekommen keine SMS mehr von uns. Wieder anmelden: START "
    "/ You are unsubscribed and will get no more texts from us. To subscribe again: START"
)
OPTED_IN_REPLY = (
    "Willkommen zurück! Sie bekommen wieder SMS von uns. Abmelden: STOPP "
    "/ Welcome back! You will get texts from us again. To unsubscribe: STOP"
)


def is_opted_out(session: Session, phone_number: str) -> bool:
    return session.get(OptOut, phone_number) is not None


def opted_out_numbers(session: Session, numbers: list[str]) -> set[str]:
    """Which of ``numbers`` are opted out (one query, for bulk sends)."""
    if not numbers:
        return set()
    stmt = select(OptOut.phone_number).where(OptOut.phone_number.in_(numbers))
    return set(session.scalars(stmt))


def opt_out(
    session: Session, phone_number: str, source: str = "sms", now: dt.datetime | None = None
) -> bool:
    """Put ``phone_number`` on the list (idempotent); returns whether it was new. Every
    feature's hook runs either way, so its records agree with the list."""
    new = session.get(OptOut, phone_number) is None
    if new:
        session.add(OptOut(phone_number=phone_number, opted_out_at=now or utcnow(), source=source))
        session.flush()
    for hook in registry().opt_out_hooks:
        hook(session, phone_number, True)
    return new


def opt_in(session: Session, phone_number: str) -> bool:
    """Take ``phone_number`` off the list; returns whether it was on it."""
    removed = session.execute(delete(OptOut).where(OptOut.phone_number == phone_number)).rowcount
    for hook in registry().opt_out_hooks:
        hook(session, phone_number, False)
    return bool(removed)
