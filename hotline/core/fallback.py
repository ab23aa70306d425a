"""What a caller hears when the application cannot do its job (database down, bug, bad
configuration): the line's fallback number rings. Nothing here touches the database."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from flask import Flask, Response, current_app
from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

from hotline.core.extensions import telephony
from hotline.core.prompts import message
from ivr_flows.messages import DEFAULT_VOICES

log = logging.getLogger(__name__)


class FallbackNumbers:
    """The fallback number of each line, for when the database cannot tell.

    Looked up in this order: ``FALLBACK_NUMBERS`` (configuration), the numbers this process
    or an earlier one saw in the database (kept in memory and in a local snapshot file, so a
    worker restarted during a database outage still knows them), ``FALLBACK_NUMBER``.
    The snapshot is written atomically whenever a number is learnt or changes, and read when
    the app starts; several processes share it (each merges what is on disk first).
    """

    def __init__(self, snapshot: Path | None) -> None:
        self.snapshot = snapshot
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()
        self._read()

    def _load(self) -> dict[str, str]:
        if self.snapshot is None:
            return {}
        try:
            data = json.loads(self.snapshot.read_text(encoding="utf-8"))
            return {str(k): str(v) for k, v in data.get("lines", {}).items() if v}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError) as exc:
            log.error("fallback snapshot %s unreadable: %s", self.snapshot, exc)
            return {}

    def _read(self) -> None:
        numbers = self._load()
        with self._lock:
            self._known = {**numbers, **self._known}

    def _write(self) -> None:
        if self.snapshot is None:
            return
        try:
            self.snapshot.parent.mkdir(parents=True, exist_ok=True)
            on_disk = self._load()
            with self._lock:
                merged = {**on_disk, **self._known}
            handle, tmp = tempfile.mkstemp(dir=self.snapshot.parent, prefix=".fallback-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"lines": merged}, out, indent=1, sort_keys=True)
            os.replace(tmp, self.snapshot)
        except OSError as exc:
            log.error("fallback snapshot %s not written: %s", self.snapshot, exc)

    def remember(self, line_number: str, fallback_number: str | None) -> None:
        if not fallback_number or self._known.get(line_number) == fallback_number:
            return
        with self._lock:
            self._known[line_number] = fallback_number
        self._write()

    def known(self, line_number: str) -> str | None:
        return self._known.get(line_number)

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


def init_fallback(app: Flask) -> FallbackNumbers:
    path = app.config.get("FALLBACK_SNAPSHOT_PATH") or ""
    numbers = FallbackNumbers(Path(path) if path else None)
    app.extensions["rufbereit.fallback"] = numbers
    return numbers


def _numbers() -> FallbackNumbers:
    return current_app.extensions["rufbereit.fallback"]


def remember(line_number: str, fallback_number: str | None) -> None:
    """Keep the fallback number seen for a line, so an outage of the database later (even
    after a restart) still rings the number configured in the database."""
    _numbers().remember(line_number, fallback_number)


def forget() -> None:
    """Drop the remembered numbers of the current app (tests; a changed configuration)."""
    _numbers().forget()


def fallback_number(line_number: str) -> str | None:
    config = current_app.config
    return (
        config["FALLBACK_NUMBERS"].get(line_number)
        or _numbers().known(line_number)
        or config.get("FALLBACK_NUMBER")
        or None
    )


def lines_without_fallback(lines: list[str]) -> list[str]:
    """Which of ``lines`` would ring nobody if the database went away now."""
    return [number for number in lines if not fallback_number(number)]


def fallback_response(line_number: str) -> Response:
    """TwiML that rings the fallback for ``line_number``, or apologises if there is none."""
    locale, voice = DEFAULT_VOICES["de"]
    response = VoiceResponse()
    number = fallback_number(line_number)
    if number:
        response.say(message("fallback", "de"), language=locale, voice=voice)
        response.dial(number, caller_id=line_number or None, timeout=30)
    else:
        log.error("no fallback number configured for %s", line_number or "unknown line")
    response.say(message("unavailable", "de"), language=locale, voice=voice)
    response.hangup()
    return twiml(response)


def twiml(response: TwiML) -> Response:
    """The response document (voice or messaging), written by the telephony provider."""
    return Response(telephony().render_response(response), mimetype="text/xml")


def sync_from_database(app: Flask) -> None:
    """At start-up: learn every line's fallback number from the database (if it answers),
    and warn loudly in production about lines that would ring nobody without it."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.core.extensions import db
    from hotline.core.oncall.models import Line

    numbers = app.extensions["rufbereit.fallback"]
    try:
        with db.new_session() as session:
            rows = session.execute(
                select(Line.number, Line.fallback_number, Line.id, Line.name).where(
                    Line.active.is_(True)
                )
            ).all()
    except SQLAlchemyError as exc:
        level = logging.WARNING if app.config.get("ENV_NAME") == "production" else logging.INFO
        log.log(level, "fallback numbers not refreshed at start-up (database: %s)", exc.__class__)
        return
    for number, fallback, _id, _name in rows:
        numbers.remember(number, fallback)
    if app.config.get("ENV_NAME") != "production":
        return
    with app.app_context():
        missing = set(lines_without_fallback([row[0] for row in rows]))
    for number, _fallback, line_id, name in rows:
        if number in missing:
            log.warning(
                "LINE %s (%r, %s) HAS NO FALLBACK NUMBER reachable without the database: "
                "callers hear 'nobody is available' during an outage; set its fallback "
                "number or FALLBACK_NUMBERS",
                line_id,
                name,
                number,
            )


def _remember_line(_mapper: object, _connection: object, line: object) -> None:
    """Keep the snapshot current when a line is added or changed."""
    from flask import has_app_context

    if has_app_context() and "rufbereit.fallback" in current_app.extensions:
        remember(line.number, line.fallback_number)  # type: ignore[attr-defined]


def watch_lines() -> None:
    from sqlalchemy import event

    from hotline.core.oncall.models import Line

    if not event.contains(Line, "after_insert", _remember_line):
        event.listen(Line, "after_insert", _remember_line)
        event.listen(Line, "after_update", _remember_line)
