"""The core's own personal data: failed sign-ins, the opt-out list, accounts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hotline.core.models import LoginFailure, OptOut
from hotline.core.registry import Registry
from hotline.core.retention import PersonalData, RetentionRule, delete_before

#: Failed sign-ins only matter for the throttle's window (minutes); a day is plenty.
LOGIN_FAILURE_DAYS = 1


def _purge_login_failures(session: Session, now: dt.datetime) -> str:
    cutoff = now - dt.timedelta(days=LOGIN_FAILURE_DAYS)
    return f"forgot {delete_before(session, LoginFailure.at, cutoff)} failed sign-in(s)"


def _export_opt_out(session: Session, phone: str) -> list[dict[str, object]]:
    row = session.get(OptOut, phone)
    if row is None:
        return []
    return [{"opted_out_at": row.opted_out_at.isoformat(), "source": row.source}]


def _erase_opt_out(session: Session, phone: str) -> int:
    """An opt-out is kept even on erasure: it is what stops every further text."""
    return 0


def register(registry: Registry) -> None:
    registry.retention(
        RetentionRule(
            name="login_failures",
            table="roster_login_failures",
            fields="username, address",
            purpose="slow down password guessing per account and per address",
            period=f"{LOGIN_FAILURE_DAYS} day",
            action="deleted",
            apply=_purge_login_failures,
        )
    )
    registry.retention(
        RetentionRule(
            name="opt_outs",
            table="opt_outs",
            fields="phone_number",
            purpose="a number that texted STOP gets no further text of any kind (a legal obligation)",
            period="until the number texts START (also kept on erasure, or it would be texted again)",
            action="deleted on START",
        )
    )
    registry.personal(PersonalData("opt_outs", _export_opt_out, _erase_opt_out))
    register_blocks(registry)


__all__ = ["register"]


#: An ended block's row (the salted hash of a caller's number) is kept this long, so a
#: coordinator sees recent blocks; the audit entries of blocks follow the same period.
ENDED_BLOCK_DAYS = 90


def _purge_blocks(session: Session, now: dt.datetime) -> str:
    from sqlalchemy import or_

    from hotline.core.blocks import BlockAudit, CallerBlock

    cutoff = now - dt.timedelta(days=ENDED_BLOCK_DAYS)
    audits = session.execute(
        delete(BlockAudit)
        .where(BlockAudit.at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    blocks = session.execute(
        delete(CallerBlock)
        .where(or_(CallerBlock.until < cutoff, CallerBlock.lifted_at < cutoff))
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {blocks} ended block(s), {audits} block audit entr(y/ies)"


def register_blocks(registry: Registry) -> None:
    registry.retention(
        RetentionRule(
            name="caller_blocks",
            table="caller_blocks",
            fields="caller_hash (salted), created_by",
            purpose="keep an abusive caller from ringing the operators of a line again",
            period=f"until the block ends, then {ENDED_BLOCK_DAYS} days (with its audit entries)",
            action="deleted",
            apply=_purge_blocks,
        )
    )
