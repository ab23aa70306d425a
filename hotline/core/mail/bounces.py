"""Bounces and mailed unsubscribes, read from the raw message a mail server hands over.

A delivery status notification (RFC 3464, ``multipart/report;
report-type=delivery-status``) names each recipient (``Final-Recipient``) with its
``Action`` and ``Status``: ``failed`` with 5.x.x is a hard bounce (the address is marked
unreachable and never mailed again), 4.x.x (``delayed`` or ``failed``) a soft one (counted).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, Message

from sqlalchemy.orm import Session

from hotline.core.mail import addresses

_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def _parse(raw: bytes | str) -> EmailMessage:
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def _recipient_blocks(message: Message) -> list[Message]:
    """The per-recipient field groups of every delivery-status part."""
    blocks: list[Message] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        groups = payload if isinstance(payload, list) else []
        if not groups:  # some parsers leave the fields as text
            text = part.get_payload(decode=True) or b""
            groups = [
                email.message_from_bytes(chunk.strip().encode(), policy=email.policy.default)
                for chunk in re.split(r"\r?\n\r?\n", text.decode("utf-8", "replace"))
                if chunk.strip()
            ]
        # The first group describes the reporting server, the rest one recipient each.
        blocks += [g for g in groups if g.get("Final-Recipient") or g.get("Original-Recipient")]
    return blocks


def bounces_in(raw: bytes | str) -> list[tuple[str, str]]:
    """``(address, status)`` for each failed or delayed recipient of a DSN."""
    found = []
    for block in _recipient_blocks(_parse(raw)):
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip().split()[0:1]
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient"))
        address = recipient.split(";", 1)[-1].strip()
        code = status[0] if status else ""
        if action in ("failed", "delayed") and _STATUS.match(code) and "@" in address:
            found.append((addresses.normalise(address), code))
    return found


def apply_dsn(session: Session, raw: bytes | str) -> list[tuple[str, str, str]]:
    """Record each bounce of a DSN; ``(address, status, hard|soft)`` per recipient."""
    results = []
    for address, status in bounces_in(raw):
        results.append((address, status, addresses.record_bounce(session, address, status)))
    return results


def unsubscribe_request(raw: bytes | str) -> str | None:
    """The address a mail to the ``mailto:`` unsubscribe asks to unsubscribe: the signed
    token in its subject (``unsubscribe <token>``), else None."""
    message = _parse(raw)
    subject = str(message.get("Subject", ""))
    match = re.search(r"unsubscribe\s+(\S+)", subject, re.IGNORECASE)
    return addresses.address_of_token(match.group(1)) if match else None
