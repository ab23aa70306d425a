"""Inbound texts that arrive while the database is down are kept, not lost.

The SMS webhook that cannot reach the database stores the text durably — in Redis, or, when
Redis is down too, as a file in a local spool folder (written atomically and synced) — and
answers with an empty reply. :func:`hotline.core.replay.replay_spooled_sms`, a periodic job,
hands every kept
text to the normal inbound handling once the database answers again: oldest first (so the
texts of one sender are acted on in the order they were sent), each once (the MessageSid
decides, as for any delivery), and the reply is then sent as a text. Only when neither Redis
nor the disk can keep it is the sender asked to send the text again.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app
from redis.exceptions import RedisError

from hotline.core.extensions import jobs
from hotline.core.phones import mask
from hotline.core.sms import InboundSms

log = logging.getLogger(__name__)

REDIS_KEY = "rufbereit:inbound-spool"
LOCK_KEY = "rufbereit:inbound-spool:lock"
#: Asked of the sender only when the text could be kept nowhere.
SEND_AGAIN_REPLY = (
    "Ihre Nachricht konnte gerade nicht verarbeitet werden. Bitte senden Sie sie in einigen "
    "Minuten noch einmal. / Your message could not be processed right now. Please send it "
    "again in a few minutes."
)


@dataclass(frozen=True)
class Spooled:
    message_sid: str
    sender: str
    to: str
    body: str
    received_at: float

    def sms(self) -> InboundSms:
        return InboundSms(self.message_sid, self.sender, self.to, self.body)

    def dumps(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _spool_dir() -> Path:
    return Path(current_app.config.get("INBOUND_SPOOL_DIR") or "var/inbound-spool")


def keep(sms: InboundSms) -> bool:
    """Keep ``sms`` for later; returns False if it could be kept nowhere."""
    entry = Spooled(sms.message_sid, sms.sender, sms.to, sms.body, time.time())
    try:
        jobs.redis.rpush(REDIS_KEY, entry.dumps())
        log.warning("database unavailable: SMS %s kept in Redis", sms.message_sid)
        return True
    except (RedisError, OSError) as exc:
        log.warning("database and Redis unavailable (%s): keeping SMS on disk", exc)
    try:
        folder = _spool_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(entry.dumps())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / f"{time.time_ns():020d}-{os.getpid()}.json")
        return True
    except OSError as exc:
        log.error("SMS %s from %s could not be kept: %s", sms.message_sid, mask(sms.sender), exc)
        return False


def pending() -> list[tuple[Spooled, str, str | Path]]:
    """Every kept text, oldest first: ``(entry, where, handle)``."""
    found: list[tuple[Spooled, str, str | Path]] = []
    try:
        for raw in jobs.redis.lrange(REDIS_KEY, 0, -1):
            text = raw.decode() if isinstance(raw, bytes) else raw
            found.append((Spooled(**json.loads(text)), "redis", text))
    except (RedisError, OSError) as exc:
        log.warning("inbound spool: Redis unavailable (%s)", exc)
    folder = _spool_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                found.append(
                    (Spooled(**json.loads(path.read_text(encoding="utf-8"))), "disk", path)
                )
            except (OSError, ValueError, TypeError) as exc:
                log.error("inbound spool: unreadable %s left in place: %s", path.name, exc)
    found.sort(key=lambda item: item[0].received_at)
    return found


def remove(where: str, handle: str | Path) -> None:
    if where == "redis":
        jobs.redis.lrem(REDIS_KEY, 1, handle)
    else:
        Path(handle).unlink(missing_ok=True)
