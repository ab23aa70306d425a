"""A caller's-eye call simulator for the terminal.

It plays a line's IVR through the real webhooks, exactly as Twilio would request them
(signed), prints what the caller would hear, reads keypresses, and shows whom the call would
ring. Everything happens inside a transaction that is rolled back, and nothing is queued or
sent, so coordinators can try a flow on the live database without side effects.

``at`` plays the call as at a local time on the line (opening hours, shifts on duty, quiet
hours of the dispatch intake): the app gets a clock that stands still then
(:mod:`hotline.core.clock`) for the length of the simulated call.
"""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import parse_qs, urljoin, urlsplit
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Connection, select
from twilio.request_validator import RequestValidator

from hotline.core import clock
from hotline.core.errors import DomainError
from hotline.core.extensions import db, jobs
from hotline.core.oncall.models import Line, Operator
from hotline.core.phones import mask, to_e164

BASE = "https://simulator.invalid"
AT_FORMAT = "%Y-%m-%d %H:%M"


class BadTime(DomainError):
    """``--at`` is not a local date and time like ``2026-03-12 09:30``."""


def parse_at(raw: str) -> dt.datetime:
    """A naive local wall-clock time from ``YYYY-MM-DD HH:MM``."""
    try:
        return dt.datetime.strptime(raw.strip(), AT_FORMAT)
    except ValueError:
        raise BadTime("simulator_time_unreadable", value=raw) from None


class Simulator:
    def __init__(
        self,
        app: Flask,
        number: str,
        caller: str = "+4915700000000",
        ask: Callable[[str], str] = input,
        show: Callable[[str], None] = print,
        connection: Connection | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        self.app = app
        self.number = to_e164(number, app.config["DEFAULT_REGION"])
        self.caller = caller
        self.ask = ask
        self.show = show
        self.call_sid = "CASIM" + "0" * 29
        self.token = app.config.get("TWILIO_AUTH_TOKEN") or "simulator"
        self.connection = connection  # run inside this connection's transaction (tests)
        self.at = at  # naive: local time on the line; None: now

    # -- HTTP as Twilio does it ---------------------------------------------------------

    def post(self, url: str, **params: str) -> ET.Element | None:
        form = {"CallSid": self.call_sid, "From": self.caller, "To": self.number, **params}
        full = urljoin(BASE + "/twilio/voice", url)
        signature = RequestValidator(self.token).compute_signature(full, form)
        path = full.removeprefix(BASE)
        response = self.client.post(
            path, data=form, headers={"X-Twilio-Signature": signature}, base_url=BASE
        )
        if response.status_code == 204 or not response.data:
            return None
        if response.status_code != 200:
            self.show(f"!! {path} answered HTTP {response.status_code}")
            return None
        return ET.fromstring(response.data)

    # -- the call -------------------------------------------------------------------------

    def run(self) -> None:
        saved = (
            self.app.config.get("TWILIO_AUTH_TOKEN"),
            self.app.config.get("PUBLIC_BASE_URL"),
            jobs.url,
            jobs._redis,
            db.factory,
            self.app.config.get(clock.CONFIG_KEY),
        )
        self.app.config.update(TWILIO_AUTH_TOKEN=self.token, PUBLIC_BASE_URL="")
        jobs.url, jobs._redis = "", None  # nothing leaves the simulator
        connection = self.connection or db.engine.connect()
        outer = connection.begin_nested() if self.connection else connection.begin()
        db.bind_to(connection)
        try:
            self.client = self.app.test_client()
            with db.factory() as session:
                line = session.scalar(select(Line).where(Line.number == self.number))
            if line is None:
                self.show(f"No line has the number {self.number}.")
                return
            if self.at is not None:
                instant = self.at
                if instant.tzinfo is None:
                    instant = instant.replace(tzinfo=ZoneInfo(line.timezone))
                instant = instant.astimezone(dt.UTC)
                self.app.config[clock.CONFIG_KEY] = lambda: instant
                local = instant.astimezone(ZoneInfo(line.timezone))
                self.show(f"Playing the call as at {local:%Y-%m-%d %H:%M} ({line.timezone}).")
            self.show(f"Calling {line.name} ({line.number}), flow '{line.flow}'. Ctrl-C hangs up.")
            self.play(self.post("/twilio/voice"))
        except (KeyboardInterrupt, EOFError):
            self.show("\n[you hung up]")
        finally:
            outer.rollback()
            if self.connection is None:
                connection.close()
            (token, base, jobs.url, jobs._redis, db.factory, saved_clock) = saved
            self.app.config.update(TWILIO_AUTH_TOKEN=token, PUBLIC_BASE_URL=base)
            self.app.config[clock.CONFIG_KEY] = saved_clock

    def play(self, doc: ET.Element | None) -> None:
        for _ in itertools.count():
            if doc is None:
                self.show("[call ended]")
                return
            doc = self.step(doc)

    def step(self, doc: ET.Element) -> ET.Element | None:
        """Play one TwiML document; return the next one Twilio would fetch."""
        for verb in doc:
            tag = verb.tag
            if tag == "Say":
                self.say(verb)
            elif tag == "Pause":
                self.show(f"   (silence, {verb.get('length', '1')} s)")
            elif tag == "Hangup":
                self.show("[the line hangs up]")
                return None
            elif tag == "Redirect":
                return self.post(verb.text or "")
            elif tag == "Gather":
                for inner in verb:
                    if inner.tag == "Say":
                        self.say(inner)
                answer = self.ask("   your keys (or words; Enter = silence) > ").strip()
                if answer:
                    key = "Digits" if answer.isdigit() or answer in "*#" else "SpeechResult"
                    value = (
                        answer[:1] if key == "Digits" and verb.get("numDigits") == "1" else answer
                    )
                    return self.post(verb.get("action", ""), **{key: value})
            elif tag == "Dial":
                return self.dial(verb)
            elif tag == "Enqueue":
                return self.queue(verb)
            elif tag == "Record":
                text = self.ask("   (recording) say your message > ")
                if text.strip():
                    return self.post(
                        verb.get("action", ""),
                        RecordingUrl="sim://recording",
                        RecordingDuration=str(max(1, len(text) // 12)),
                    )
            elif tag == "Leave":
                return None
        return None

    def say(self, verb: ET.Element) -> None:
        self.show(f"🔊 [{verb.get('language', '?')}] {(verb.text or '').strip()}")

    def dial(self, verb: ET.Element) -> ET.Element | None:
        action = verb.get("action", "")
        numbers = [n for n in verb if n.tag == "Number"]
        if not numbers:  # a plain number: the line's fallback
            target = (verb.text or "").strip()
            self.show(f"📞 forwarding to the fallback number {mask(target)}")
            picked = self.ask("   does the fallback answer? [y/N] > ").strip().lower() == "y"
            status = "completed" if picked else "no-answer"
            return self.post(action, DialCallStatus=status, DialBridged=str(picked).lower())
        people = []
        with db.factory() as session:
            for n in numbers:
                query = parse_qs(urlsplit(n.get("url") or "").query)
                op_id = query.get("op", ["0"])[0]
                op = session.get(Operator, int(op_id)) if op_id.isdigit() else None
                people.append((op.name if op else "?", n.text or "", n.get("url", "")))
        self.show(
            f"📞 ringing {len(people)} operator(s) at once:" if len(people) > 1 else "📞 ringing:"
        )
        for i, (name, phone, _) in enumerate(people, 1):
            self.show(f"   {i}. {name} ({mask(phone)})")
        choice = self.ask(
            "   who picks up? number, 'v<number>' for their mailbox, Enter = nobody > "
        )
        choice = choice.strip().lower()
        if not choice:
            return self.post(action, DialCallStatus="no-answer", DialBridged="false")
        mailbox = choice.startswith("v")
        index = int(choice.lstrip("v")) - 1 if choice.lstrip("v").isdigit() else -1
        if not 0 <= index < len(people):
            self.show("   nobody by that number; nobody picks up")
            return self.post(action, DialCallStatus="no-answer", DialBridged="false")
        name, _, url = people[index]
        screen = self.post(url)
        if screen is None:
            return self.post(action, DialCallStatus="no-answer", DialBridged="false")
        gather = screen.find("Gather")
        for say in screen.iter("Say"):
            self.show(f"   ({name} hears) {(say.text or '').strip()}")
        if mailbox or gather is None:
            self.show(f"   {name}'s mailbox says its greeting; nobody presses a key")
            return self.post(action, DialCallStatus="completed", DialBridged="false")
        key = self.ask(f"   {name} presses > ").strip()
        result = self.post(gather.get("action", ""), Digits=key) if key else None
        # Accepted: the leg stays up (it is moved into the call's conference), no hangup.
        if result is not None and "Hangup" not in [el.tag for el in result]:
            self.show(f"✅ connected to {name}. (The simulated call ends here.)")
            self.post(action, DialCallStatus="completed", DialBridged="true", DialCallDuration="60")
            self.post("/twilio/voice/status", CallStatus="completed", CallDuration="75")
            return None
        self.show(f"   {name} did not accept; the leg hangs up")
        return self.post(action, DialCallStatus="completed", DialBridged="false")

    def queue(self, verb: ET.Element) -> ET.Element | None:
        self.show(f"⏳ waiting in queue '{(verb.text or '').strip()}'")
        wait = self.post(verb.get("waitUrl", ""), QueuePosition="1", QueueTime="0")
        if wait is not None:
            for say in wait.iter("Say"):
                self.say(say)
        self.ask("   (operators on shift are being called) press Enter to wait out the queue > ")
        with db.factory() as session:
            line = session.scalar(select(Line).where(Line.number == self.number))
            timeout = str(line.queue_timeout if line else 0)
        self.post(verb.get("waitUrl", ""), QueuePosition="1", QueueTime=timeout)
        self.show("   nobody took the call in time; leaving the queue")
        return self.post(verb.get("action", ""), QueueResult="leave")
