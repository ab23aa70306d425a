#!/usr/bin/env python3
"""Benchmark of whole calls: every webhook of a call, as Twilio sends them, at a fixed rate.

What it measures (``--rates``, the default; ``--entry``, ``--scaling`` and ``--compare`` add
the others):

1. **Whole calls, open loop** – new calls arrive at a fixed rate (Poisson arrivals), whatever
   the server's answers, and each is played through all of its webhooks: signed like Twilio
   signs them, with Twilio's parameters, following the URLs of the TwiML the app answers
   (``<Gather action>``, ``<Redirect>``, ``<Dial action>``, each ``<Number url>`` as the
   operator's own leg with its own CallSid, ``<Enqueue waitUrl/action>``, ``<Record action>``)
   and ending with the call's status callback. Operators accept by pressing 1 on their leg.
   The mix: most callers choose "be connected" and are answered, some hang up while a menu
   plays, some call a line with nobody on shift and queue (half of them hang up in the
   queue, half wait it out and reach the line's fallback number). Time inside a call is
   compressed (``--time-scale``): a call of a few minutes takes a few seconds.
   Reported per webhook kind and overall: requests/s, p50, p99, errors; and what the
   database did per whole call (see 4).
2. **Scaling** (``--scaling``) – the same whole calls at one rate against three data sets
   (10,000 / 1,000,000 / 10,000,000 shifts with 1,000 / 10,000 / 100,000 operators), served
   side by side and measured in alternating rounds; the p99 ratio largest ÷ smallest.
3. **Entry vs write floor** (``--entry``) – the voice entry webhook at 32 concurrent callers
   next to the write floor (``bench_write_floor_app.py``: signature check and one durable
   call-record-sized row) and the bare Flask baseline, in alternating rounds
   (``bench_voice``'s load generator).
4. **Database work per call** – a counting pass: the same kind of calls, played one webhook
   at a time through a second instance of the app whose database connections go through a
   PostgreSQL wire-protocol counter (:class:`PgWireCounter`). It counts what the server was
   asked to do: statements executed (every ``Execute`` and simple ``Query`` message, by
   verb), round trips (every ``ReadyForQuery`` the client waits for, connection set-up
   excluded), transactions and rows per command (from the servers' ``CommandComplete``
   tags), attributed to the webhook in flight.
5. **Mechanisms** (``--compare``, ``--compare-rate 50``) – for each fast path on the voice
   path (:data:`MECHANISMS`, empty now: the direct TwiML writer, the call record's driver
   round trip, the routing cache, the cookie-less session and the single signature were
   measured this way and removed; a candidate is named with ``--setting NAME=ON:OFF``), two
   apps side by side with the same gunicorn settings, every mechanism on vs that one
   switched off by its setting, under one open loop whose one-second slots take turns
   between them and give both the same calls (:func:`paired_arrivals`); req/s served, p50, p99 of all webhooks,
   CPU per call and the gain, and one ``RESULT mechanism_<name>_gain`` line each: kept if
   it gains at least 5 % in throughput or p99. Skips the rates unless ``--rates`` is given.

Every app runs under gunicorn with the web process's settings (``Procfile``:
``gunicorn -c gunicorn.conf.py``; workers from ``WEB_CONCURRENCY`` or what the settings file
computes, ``--workers`` pins them for all apps alike), bound to 127.0.0.1 only. The data set
(100 lines, 10,000 operators, 1,000,000 shifts; the last lines have nobody rostered) is
seeded with ``bench_voice``'s COPY code and reused while the plan and migrations match.
Every loop is bounded in count and time and stops by itself.

Usage::

    .venv/bin/python scripts/bench_calls.py --seconds 5                 # rates 10, 25, 50
    .venv/bin/python scripts/bench_calls.py --entry --scaling           # everything
    .venv/bin/python scripts/bench_calls.py --compare --setting NAME=true:false  # a candidate
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import email.utils
import heapq
import math
import os
import random
import runpy
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from twilio.request_validator import RequestValidator

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
for _path in (ROOT, SCRIPTS):  # run as a plain script from a checkout
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import bench_voice as voice  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_bench_calls"
PUBLIC_BASE = voice.PUBLIC_BASE
ENTRY_URL = PUBLIC_BASE + "/twilio/voice"
#: The number's status callback URL (docs/operations.md): Twilio posts the call's end there.
STATUS_URL = PUBLIC_BASE + "/twilio/voice/status"
#: German text-to-speech, characters per second: how long a caller listens to a <Say>.
SPEECH_CHARS_PER_SECOND = 14.0
#: A queued caller hears at most this many waitUrl documents before the player gives up.
MAX_QUEUE_POLLS = 40
#: Webhooks of one call before the player gives up (a loop in the app's answers).
MAX_WEBHOOKS = 80
#: Scaling: (shifts, operators) of each data set, smallest first.
SCALING_SIZES = ((10_000, 1_000), (1_000_000, 10_000), (10_000_000, 100_000))


# -- data set ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CallsSeedPlan(voice.SeedPlan):
    """``bench_voice``'s data set on 100 lines, of which the last ``unstaffed_lines`` have
    nobody rostered (calls to them find nobody and queue). Line 1 runs ``bench_voice``'s
    greeting-then-route flow (the entry benchmark); the others alternate between the shipped
    heimweg (odd) and nachbarschaftshilfe (even) flows."""

    lines: int = 100
    unstaffed_lines: int = 5

    @property
    def first_unstaffed(self) -> int:
        return self.lines - self.unstaffed_lines + 1

    def staffed_lines(self) -> range:
        """Lines whole calls are answered on: all but line 1 and the unstaffed ones."""
        return range(2, self.first_unstaffed)

    def unstaffed(self) -> range:
        return range(self.first_unstaffed, self.lines + 1)


def calls_seed_tables(plan: CallsSeedPlan, now: dt.datetime) -> list[tuple[Any, ...]]:
    """``bench_voice``'s rows, with the shifts of the unstaffed lines moved to staffed ones
    (so the counts stay exactly as planned)."""
    tables = voice.seed_tables(plan, now)
    return [
        (name, columns, _away_from_unstaffed(rows, plan) if name == "shifts" else rows, count)
        for name, columns, rows, count in tables
    ]


def _away_from_unstaffed(rows: Iterable[tuple[Any, ...]], plan: CallsSeedPlan) -> Iterator:
    staffed = plan.first_unstaffed - 3  # lines 3 … first_unstaffed - 1 (1 and 2 are rostered)
    for row in rows:
        if row[2] >= plan.first_unstaffed:
            row = (row[0], row[1], 3 + row[0] % staffed, *row[3:])
        yield row


def scaled_plan(shifts: int, operators: int) -> CallsSeedPlan:
    """A data set of ``shifts`` and ``operators`` shaped like the default one: the same
    shifts per line and day (about 42), so a larger set is a longer history (10,000,000
    shifts ≈ 6.5 years) and roughly as many people are on shift now whatever the size."""
    default = CallsSeedPlan()
    per_line_day = default.shifts / (default.lines * (default.past_days + default.future_days))
    days = max(3, math.ceil(shifts / (default.lines * per_line_day) - 1e-9))
    future = min(default.future_days, max(1, days // 4))
    return CallsSeedPlan(
        operators=operators, shifts=shifts, past_days=days - future, future_days=future
    )


def few_lines_plan(lines: int) -> CallsSeedPlan:
    """The default data set's density (shifts per line and day, operators per line) on only
    ``lines`` lines: a deployment with a handful of lines, each with many calls at once
    (where a per-worker routing cache would be hit on most calls; on 100 lines it rarely
    was)."""
    default = CallsSeedPlan()
    if lines < 5:
        raise ValueError("--lines: at least 5 (the entry line, 2 rostered, 1 unstaffed, 1 more)")
    scale = lines / default.lines
    return CallsSeedPlan(
        lines=lines,
        unstaffed_lines=1,
        shifts=round(default.shifts * scale),
        operators=max(default.per_slot * 2 * lines, round(default.operators * scale)),
    )


def database_for(base_url: str, plan: CallsSeedPlan) -> str:
    """The default plan lives in ``base_url``'s database; other sizes next to it, named
    ``rufbereit_bench_scale_<shifts>_<operators>`` (``rufbereit_bench_lines_<lines>`` for a
    :func:`few_lines_plan`)."""
    from sqlalchemy.engine import make_url

    if plan == CallsSeedPlan():
        return base_url
    url = make_url(base_url)
    name = f"rufbereit_bench_scale_{_short(plan.shifts)}_{_short(plan.operators)}"
    if plan.lines != CallsSeedPlan().lines:
        name = f"rufbereit_bench_lines_{plan.lines}"
    return url.set(database=name).render_as_string(hide_password=False)


def _short(n: int) -> str:
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def ensure_seeded(url: str, plan: CallsSeedPlan, force: bool, now: dt.datetime) -> None:
    voice.ensure_seeded(url, plan, force, now, tables=calls_seed_tables)


def clear_calls(url: str) -> None:
    """Forget the calls (with every row that hangs off them: legs, accompaniments …) and
    queue call-outs of earlier runs, then CHECKPOINT, so a checkpoint does not compete with
    the next measurement for the disk."""
    import psycopg

    with psycopg.connect(voice.psycopg_url(url)) as conn:
        conn.execute("TRUNCATE outbox, calls, call_legs CASCADE")
        conn.commit()
    with (
        psycopg.connect(voice.psycopg_url(url), autocommit=True) as conn,
        contextlib.suppress(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CHECKPOINT")


def line_flows(plan: CallsSeedPlan, now: dt.datetime) -> dict[str, str]:
    """Number → flow name of every seeded line (as ``bench_voice`` seeds them)."""
    return {row[1]: row[3] for row in voice.line_rows(plan, now)}


# -- what callers and operators do -------------------------------------------------------------


class Behaviour(str, Enum):
    ANSWERED = "answered"  # chooses "be connected"; an operator picks up and presses 1
    MENU_HANGUP = "menu-hangup"  # hangs up while a menu plays
    QUEUE_HANGUP = "queue-hangup"  # nobody on shift: waits in the queue, then hangs up
    QUEUE_TIMEOUT = "queue-timeout"  # nobody on shift: waits it out, the fallback answers


@dataclasses.dataclass(frozen=True)
class Mix:
    """Shares of the calls (they need not add up to 1; they are weights)."""

    answered: float = 0.75
    menu_hangup: float = 0.15
    queued: float = 0.10

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``answered,menu-hangup,queued`` weights, e.g. ``75,15,10``."""
        answered, menu, queued = (float(part) for part in text.split(","))
        return cls(answered, menu, queued)

    def choose(self, rng: random.Random) -> Behaviour:
        pick = rng.random() * (self.answered + self.menu_hangup + self.queued)
        if pick < self.answered:
            return Behaviour.ANSWERED
        if pick < self.answered + self.menu_hangup:
            return Behaviour.MENU_HANGUP
        return Behaviour.QUEUE_HANGUP if rng.random() < 0.5 else Behaviour.QUEUE_TIMEOUT


@dataclasses.dataclass(frozen=True)
class CallScript:
    """One call as the caller (and whoever answers) will behave; times are call time."""

    call_sid: str
    caller: str
    line: str
    behaviour: Behaviour
    #: The key pressed at each menu (by node id), towards being connected.
    keys: Mapping[str, str]
    #: Menu-hangup: the node whose prompt the caller hangs up on.
    hangup_node: str | None = None
    #: Queue-hangup: how many waiting messages the caller hears before hanging up.
    queue_polls: int = 2
    ring_seconds: int = 8
    talk_seconds: int = 120
    #: Which of the rung numbers picks up (modulo how many were rung).
    pick: int = 0

    def leg_sid(self, tag: str) -> str:
        """A CallSid of another leg of this call (``tag``: one hex digit, not 0)."""
        return f"{self.call_sid[:10]}{tag}{self.call_sid[11:]}"


def keys_towards_operator(flow: Any) -> dict[str, str]:
    """For each menu of ``flow``, the key that leads towards being connected: the default
    language at a language menu, the option that routes (or leads to a node that does) at a
    menu."""
    from ivr_flows import NodeType

    routes = {n.id for n in flow.nodes.values() if n.type == NodeType.ROUTE}
    keys = {}
    for node in flow.nodes.values():
        if node.type == NodeType.LANGUAGE:
            keys[node.id] = next(
                digit for digit, code in node.choices.items() if code == flow.default_language
            )
        elif node.type == NodeType.MENU:
            direct = [o.key for o in node.options.values() if o.next in routes]
            keys[node.id] = direct[0] if direct else next(iter(node.options))
    return keys


def menu_nodes(flow: Any) -> list[str]:
    from ivr_flows import NodeType

    return [n.id for n in flow.nodes.values() if n.type in (NodeType.LANGUAGE, NodeType.MENU)]


class ScriptMaker:
    """Call scripts for a data set: callers pick their line at random (answered and menu
    hang-up calls among the staffed lines, queued ones among the unstaffed)."""

    def __init__(
        self,
        flows_by_number: Mapping[str, Any],
        staffed: Sequence[str],
        unstaffed: Sequence[str],
        mix: Mix,
        run_id: str,
        seed: int = 0,
    ) -> None:
        self.flows = flows_by_number
        self.staffed = list(staffed)
        self.unstaffed = list(unstaffed)
        self.mix = mix
        self.run_id = run_id
        self.rng = random.Random(seed)
        self.count = 0
        self._keys = {number: keys_towards_operator(flow) for number, flow in self.flows.items()}

    def next(self) -> CallScript:
        rng = self.rng
        behaviour = self.mix.choose(rng)
        queued = behaviour in (Behaviour.QUEUE_HANGUP, Behaviour.QUEUE_TIMEOUT)
        line = rng.choice(self.unstaffed if queued and self.unstaffed else self.staffed)
        menus = menu_nodes(self.flows[line])
        script = CallScript(
            call_sid=f"CA{self.run_id}{self.count:024x}",
            caller=f"+49176{rng.randrange(10**8):08d}",
            line=line,
            behaviour=behaviour,
            keys=self._keys[line],
            hangup_node=(
                rng.choice(menus) if behaviour == Behaviour.MENU_HANGUP and menus else None
            ),
            queue_polls=rng.randint(1, 3),
            ring_seconds=rng.randint(4, 15),
            talk_seconds=rng.randint(60, 300),
            pick=rng.randrange(10),
        )
        self.count += 1
        return script

    def scripts(self, count: int) -> list[CallScript]:
        return [self.next() for _ in range(count)]


def poisson_arrivals(
    rate: float, seconds: float, rng: random.Random, max_calls: int | None = None
) -> list[float]:
    """Arrival times (seconds from the start) of calls at ``rate`` per second for
    ``seconds``: exponential gaps, so the arrivals are a Poisson process. At most
    ``max_calls`` (default: twice the expected number, plus 100)."""
    times: list[float] = []
    if rate <= 0:
        return times
    limit = max_calls if max_calls is not None else int(2 * rate * seconds) + 100
    t = rng.expovariate(rate)
    while t < seconds and len(times) < limit:
        times.append(t)
        t += rng.expovariate(rate)
    return times


# -- playing a call by its TwiML ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Webhook:
    """One request Twilio would make: URL (as signed), form, signature, and how long after
    the previous answer Twilio sends it (wall-clock seconds, after time compression)."""

    kind: str
    url: str
    form: dict[str, str]
    signature: str
    delay: float = 0.0
    expect: int = 200

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def body(self) -> bytes:
        return urlencode(self.form).encode()

    def raw(self, host: str) -> bytes:
        """The complete HTTP/1.1 request, ready to write to a socket."""
        body = self.body
        head = (
            f"POST {self.path} HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "User-Agent: TwilioProxy/1.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {self.signature}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


class CallFailed(Exception):
    """The app's answer was not what Twilio could have gone on with."""


def webhook_kind(url: str) -> str:
    """``entry``, ``node``, ``screen``, ``screen-answer``, ``dial-result``, ``queue-wait``,
    ``queue-result``, ``fallback-result``, ``voicemail``, ``status`` … from the URL."""
    path = urlsplit(url).path.removeprefix("/twilio/voice").strip("/")
    if not path:
        return "entry"
    if path.startswith("node/"):
        return "node"
    return path.replace("/", "-")


@dataclasses.dataclass
class PlayedCall:
    script: CallScript
    kinds: list[str]
    #: How it ended: bridged, hung up in menu, hung up in queue, fallback, voicemail, ended.
    ending: str
    call_seconds: float


@dataclasses.dataclass
class _Doc:
    root: ET.Element
    url: str


def verb_seconds(verb: ET.Element) -> float:
    """How long a <Say>, <Pause> or <Play> takes to play (0 for other verbs)."""
    if verb.tag == "Say":
        return len((verb.text or "").strip()) / SPEECH_CHARS_PER_SECOND
    if verb.tag == "Pause":
        return float(verb.get("length", "1"))
    if verb.tag == "Play":
        return 5.0
    return 0.0


def speech_seconds(element: ET.Element) -> float:
    """How long the verbs directly in ``element`` take to play."""
    return sum(verb_seconds(child) for child in element)


class CallPlayer:
    """Plays one :class:`CallScript` as Twilio would, by the TwiML the app answers.

    :meth:`play` is a generator: it yields each :class:`Webhook` to send and receives the
    :class:`Reply`, so one player serves the in-process driver (tests), the serial driver
    (counting pass) and the open loop alike. It returns a :class:`PlayedCall` and raises
    :class:`CallFailed` on an answer Twilio could not have gone on with (an HTTP error, no
    TwiML, or the app's own fallback document, which it only sends when a webhook failed).
    """

    def __init__(
        self,
        script: CallScript,
        validator: RequestValidator,
        time_scale: float = 0.02,
        account_sid: str = voice.ACCOUNT_SID,
    ) -> None:
        self.script = script
        self.validator = validator
        self.time_scale = time_scale
        self.account_sid = account_sid
        self.clock = 0.0  # call time, seconds since the call arrived
        self.kinds: list[str] = []
        self.ending = "ended"

    # -- Twilio's parameters --------------------------------------------------------------

    def _parent(self, status: str = "in-progress", **extra: str) -> dict[str, str]:
        form = voice.voice_form(self.script.call_sid, self.script.line, self.script.caller)
        form.update(AccountSid=self.account_sid, CallStatus=status, **extra)
        return form

    def _leg(self, call_sid: str, to: str, caller_id: str, **extra: str) -> dict[str, str]:
        """An operator's leg of a <Dial>: its own CallSid, the caller's as ParentCallSid."""
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "CallStatus": "in-progress",
            "Called": to,
            "Caller": caller_id,
            "Direction": "outbound-dial",
            "From": caller_id,
            "ParentCallSid": self.script.call_sid,
            "To": to,
            **extra,
        }

    # -- requests -------------------------------------------------------------------------

    def _send(
        self, url: str, base: str, form: dict[str, str], after: float, expect: int = 200
    ) -> Generator[Webhook, Reply, _Doc | None]:
        """Send ``form`` to ``url`` (relative to the document at ``base``) ``after`` seconds
        of call time; the answer's TwiML."""
        if len(self.kinds) >= MAX_WEBHOOKS:
            raise CallFailed(f"more than {MAX_WEBHOOKS} webhooks in one call")
        full = urljoin(base, url)
        self.clock += after
        webhook = Webhook(
            webhook_kind(full),
            full,
            form,
            self.validator.compute_signature(full, form),
            after * self.time_scale,
            expect,
        )
        self.kinds.append(webhook.kind)
        reply = yield webhook
        if reply.status != expect:
            text = reply.body[:300].decode(errors="replace")
            raise CallFailed(f"HTTP {reply.status} (expected {expect}): {text}")
        if expect != 200:
            return None
        try:
            root = ET.fromstring(reply.body)
        except ET.ParseError as exc:
            raise CallFailed(f"not TwiML: {reply.body[:200]!r}") from exc
        if root.tag != "Response":
            raise CallFailed(f"not TwiML: <{root.tag}>")
        dial = root.find("Dial")
        if dial is not None and dial.get("action") is None and (dial.text or "").strip():
            raise CallFailed("the app answered with its fallback document (a webhook failed)")
        return _Doc(root, full)

    # -- the call -------------------------------------------------------------------------

    def play(self) -> Generator[Webhook, Reply, PlayedCall]:
        doc = yield from self._send(ENTRY_URL, ENTRY_URL, self._parent("ringing"), 0.0)
        while doc is not None:
            doc = yield from self._document(doc)
        form = self._parent(
            "completed",
            CallDuration=str(int(self.clock)),
            Timestamp=email.utils.formatdate(usegmt=True),
            CallbackSource="call-progress-events",
            SequenceNumber="0",
        )
        yield from self._send(STATUS_URL, STATUS_URL, form, 0.5, expect=204)
        return PlayedCall(self.script, self.kinds, self.ending, self.clock)

    def _document(self, doc: _Doc) -> Generator[Webhook, Reply, _Doc | None]:
        """Play ``doc``'s verbs in order; the next document Twilio fetches, or None."""
        listened = 0.0
        for verb in doc.root:
            tag = verb.tag
            if tag in ("Say", "Pause", "Play"):
                listened += verb_seconds(verb)
            elif tag == "Gather":
                prompt = speech_seconds(verb)
                node = urlsplit(verb.get("action", "")).path.rsplit("/", 1)[-1]
                if self.script.hangup_node == node:
                    self.clock += listened + prompt / 2
                    self.ending = "hung up in menu"
                    return None
                key = self.script.keys.get(node)
                if key is None:  # says nothing: Twilio goes on with the next verb
                    listened += prompt + float(verb.get("timeout", "5"))
                    continue
                form = self._parent(Digits=key, FinishedOnKey="", msg="Gather End")
                return (yield from self._send(verb.get("action", ""), doc.url, form, listened))
            elif tag == "Redirect":
                return (yield from self._send(verb.text or "", doc.url, self._parent(), listened))
            elif tag == "Dial":
                return (yield from self._dial(verb, doc.url, listened))
            elif tag == "Enqueue":
                return (yield from self._queue(verb, doc.url, listened))
            elif tag == "Record":
                return (yield from self._record(verb, doc.url, listened))
            elif tag in ("Hangup", "Leave", "Reject"):
                break
            else:
                raise CallFailed(f"unexpected TwiML verb <{tag}>")
        self.clock += listened
        return None

    def _dial(self, dial: ET.Element, base: str, listened: float) -> Generator:
        action = dial.get("action", "")
        script = self.script
        numbers = dial.findall("Number")
        if not numbers:  # the line's fallback number (overflow): the partner answers
            form = self._parent(
                DialCallStatus="completed",
                DialCallSid=script.leg_sid("e"),
                DialCallDuration=str(script.talk_seconds),
                DialBridged="true",
            )
            self.ending = "fallback"
            after = listened + script.ring_seconds + script.talk_seconds
            return (yield from self._send(action, base, form, after))
        number = numbers[script.pick % len(numbers)]
        leg_sid = script.leg_sid("f")
        leg = self._leg(leg_sid, (number.text or "").strip(), dial.get("callerId", script.line))
        screen = yield from self._send(
            number.get("url", ""), base, leg, listened + script.ring_seconds
        )
        assert screen is not None
        gather = screen.root.find("Gather")
        if gather is not None:
            form = {**leg, "Digits": "1", "FinishedOnKey": "", "msg": "Gather End"}
            answer = yield from self._send(
                gather.get("action", ""), screen.url, form, speech_seconds(gather)
            )
            assert answer is not None
            # Accepted: the leg stays up (no hangup) and is bridged. The move into the call's
            # conference is a worker's REST update, not a webhook; the bench plays the
            # direct bridge, which asks the same webhooks of the app.
            if "Hangup" not in [el.tag for el in answer.root]:
                self.ending = "bridged"
                form = self._parent(
                    DialCallStatus="completed",
                    DialCallSid=leg_sid,
                    DialCallDuration=str(script.talk_seconds),
                    DialBridged="true",
                )
                return (yield from self._send(action, base, form, script.talk_seconds))
        # Not bridged (the call was taken or gone when they picked up): the leg hangs up and
        # Twilio reports the <Dial> as ended.
        form = self._parent(DialCallStatus="completed", DialCallSid=leg_sid, DialBridged="false")
        return (yield from self._send(action, base, form, 2.0))

    def _queue(self, enqueue: ET.Element, base: str, listened: float) -> Generator:
        wait_url, action = enqueue.get("waitUrl", ""), enqueue.get("action", "")
        queue_sid = "QU" + self.script.call_sid[2:]
        waited, after = 0.0, listened
        for poll in range(1, MAX_QUEUE_POLLS + 1):
            form = self._parent(
                QueueSid=queue_sid,
                QueuePosition="1",
                QueueTime=str(int(waited)),
                AvgQueueTime="30",
                CurrentQueueSize="1",
            )
            wait = yield from self._send(wait_url, base, form, after)
            assert wait is not None
            if wait.root.find("Leave") is not None:
                form = self._parent(
                    QueueResult="leave", QueueSid=queue_sid, QueueTime=str(int(waited))
                )
                return (yield from self._send(action, base, form, 0.0))
            heard = speech_seconds(wait.root)
            if self.script.behaviour == Behaviour.QUEUE_HANGUP and poll >= self.script.queue_polls:
                form = self._parent(
                    QueueResult="hangup", QueueSid=queue_sid, QueueTime=str(int(waited + heard))
                )
                # The caller is gone: Twilio ignores what this answers.
                yield from self._send(action, base, form, heard / 2)
                self.ending = "hung up in queue"
                return None
            waited += heard
            after = heard
        raise CallFailed(f"still queued after {MAX_QUEUE_POLLS} waiting messages")

    def _record(self, record: ET.Element, base: str, listened: float) -> Generator:
        self.ending = "voicemail"
        form = self._parent(
            RecordingUrl=f"https://api.twilio.com/recordings/RE{self.script.call_sid[2:]}",
            RecordingSid="RE" + self.script.call_sid[2:],
            RecordingDuration="12",
        )
        return (yield from self._send(record.get("action", ""), base, form, listened + 12))


def play_in_process(client: Any, player: CallPlayer) -> PlayedCall:
    """Play a call against a Flask test client, without waiting (delays are skipped)."""
    game = player.play()
    webhook = next(game)
    while True:
        response = client.post(
            webhook.path,
            data=webhook.body,
            headers={"X-Twilio-Signature": webhook.signature},
            content_type="application/x-www-form-urlencoded",
        )
        try:
            webhook = game.send(Reply(response.status_code, response.data))
        except StopIteration as stop:
            return stop.value


def parse_response(data: bytes) -> Reply:
    """Status and body of a raw HTTP/1.1 response read to the end of the connection."""
    if not data.startswith(b"HTTP/1."):
        raise CallFailed(f"no HTTP response: {data[:100]!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        chunks, rest = [], body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        body = b"".join(chunks)
    return Reply(int(data[9:12]), body)


# -- results -----------------------------------------------------------------------------------


def percentile(latencies: Sequence[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds (as ``bench_voice``)."""
    return voice.LoadResult(list(latencies), 0, None, 0.0).percentile(p)


@dataclasses.dataclass
class KindStats:
    latencies: list[float] = dataclasses.field(default_factory=list)
    errors: int = 0
    first_error: str | None = None

    def fail(self, why: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or why


@dataclasses.dataclass
class CallsResult:
    """One open-loop run (or several merged): per webhook kind, the calls, the lag."""

    kinds: dict[str, KindStats] = dataclasses.field(default_factory=dict)
    calls: int = 0
    completed: int = 0
    failed: int = 0
    unfinished: int = 0
    endings: Counter = dataclasses.field(default_factory=Counter)
    elapsed: float = 0.0  # first request sent to last answer read
    lags: list[float] = dataclasses.field(default_factory=list)  # send time - planned time
    cpu: Any = None  # CpuUse of the measurement, when taken

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())

    @property
    def all_latencies(self) -> list[float]:
        return [x for k in self.kinds.values() for x in k.latencies]

    @property
    def requests(self) -> int:
        return sum(len(k.latencies) for k in self.kinds.values())

    @property
    def errors(self) -> int:
        """Failed requests plus calls that did not finish."""
        return sum(k.errors for k in self.kinds.values()) + self.unfinished

    def worst_kind_p99(self) -> tuple[str, float]:
        measured = [(percentile(k.latencies, 99), n) for n, k in self.kinds.items() if k.latencies]
        if not measured:
            return "-", float("nan")
        p99, name = max(measured)
        return name, p99

    def merge(self, other: CallsResult) -> None:
        for name, stats in other.kinds.items():
            mine = self.kind(name)
            mine.latencies += stats.latencies
            mine.errors += stats.errors
            mine.first_error = mine.first_error or stats.first_error
        self.calls += other.calls
        self.completed += other.completed
        self.failed += other.failed
        self.unfinished += other.unfinished
        self.endings.update(other.endings)
        self.elapsed += other.elapsed
        self.lags += other.lags


KIND_ORDER = (
    "entry",
    "node",
    "screen",
    "screen-answer",
    "dial-result",
    "queue-wait",
    "queue-result",
    "fallback-result",
    "voicemail",
    "status",
)


def _ordered(names: Iterable[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(KIND_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def print_calls_table(title: str, result: CallsResult) -> None:
    print(f"\n{title}")
    print(f"  {'webhook':18}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    rows = [(n, result.kinds[n]) for n in _ordered(result.kinds)]
    rows.append(("all", KindStats(result.all_latencies, result.errors)))
    for name, stats in rows:
        rps = len(stats.latencies) / result.elapsed if result.elapsed else 0.0
        print(
            f"  {name:18}{len(stats.latencies):>10,}{stats.errors:>8}{rps:>9.1f}"
            f"{percentile(stats.latencies, 50):>9.1f}{percentile(stats.latencies, 99):>9.1f}"
        )
    lag99 = percentile(result.lags, 99) if result.lags else 0.0
    print(
        f"  calls: {result.calls:,} started, {result.completed:,} completed,"
        f" {result.failed} failed, {result.unfinished} unfinished;"
        f" {', '.join(f'{n} {c}' for n, c in sorted(result.endings.items()))}"
    )
    print(
        f"  load generator lag behind the schedule: p99 {lag99:.1f} ms,"
        f" max {max(result.lags, default=0) * 1000:.1f} ms"
    )
    if result.cpu is not None:
        print(f"  {result.cpu.describe(result.calls)}")
    for name in _ordered(result.kinds):
        if result.kinds[name].first_error:
            print(f"  first error, {name}: {result.kinds[name].first_error[:300]!r}")


@dataclasses.dataclass(frozen=True)
class Goal:
    """One target of the issue, checked against a measured value."""

    name: str
    value: float
    op: str  # ">=", "<=", "<", "=="
    bound: float

    @property
    def met(self) -> bool:
        if math.isnan(self.value):
            return False
        return {
            ">=": self.value >= self.bound,
            "<=": self.value <= self.bound,
            "<": self.value < self.bound,
            "==": self.value == self.bound,
        }[self.op]

    def line(self) -> str:
        """``RESULT <name> <value> <target> ok|missed``, the target with its comparison."""
        verdict = "ok" if self.met else "missed"
        return f"RESULT {self.name} {_number(self.value)} {self.op}{_number(self.bound)} {verdict}"


def _number(x: float) -> str:
    if math.isnan(x):
        return "nan"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


# -- the open loop -----------------------------------------------------------------------------


class _InFlight:
    __slots__ = ("call", "webhook", "data", "started", "buffer")

    def __init__(self, call: int, webhook: Webhook, data: bytes, started: float) -> None:
        self.call = call
        self.webhook = webhook
        self.data = memoryview(data)
        self.started = started
        self.buffer = bytearray()


def run_open_loop(
    port: int,
    arrivals: Sequence[float],
    players: Sequence[CallPlayer],
    *,
    limit_s: float,
    request_timeout: float = 10.0,
    progress: Callable[[str], None] | None = print,
) -> CallsResult:
    """Start call ``i`` at ``arrivals[i]`` seconds, whatever the server does, and play every
    call's webhooks at the moments its TwiML and script say. One process, non-blocking
    sockets, a new connection per request (``Connection: close``); a request's latency runs
    from connect() to the end of the answer. Stops when every call has ended, or after
    ``limit_s`` seconds (what is still going then counts as unfinished)."""
    [result] = run_open_loop_on(
        [port] * len(players),
        arrivals,
        players,
        limit_s=limit_s,
        request_timeout=request_timeout,
        progress=progress,
    )
    return result


def run_open_loop_on(
    ports: Sequence[int],
    arrivals: Sequence[float],
    players: Sequence[CallPlayer],
    *,
    limit_s: float,
    request_timeout: float = 10.0,
    progress: Callable[[str], None] | None = print,
) -> list[CallsResult]:
    """:func:`run_open_loop` with call ``i`` played against the server on ``ports[i]``: one
    result per distinct port, in order of first appearance. Calls to several servers in one
    loop share whatever else happens on the machine at that moment."""
    order = list(dict.fromkeys(ports))
    results = {port: CallsResult() for port in order}
    for port in ports[: len(players)]:
        results[port].calls += 1
    sel = selectors.DefaultSelector()
    games: dict[int, Generator[Webhook, Reply, PlayedCall]] = {}
    timers: list[tuple[float, int, int, Webhook | None]] = []  # (due, seq, call, webhook)
    seq = 0
    start = time.perf_counter() + 0.05
    deadline = start + limit_s
    for i, at in enumerate(arrivals[: len(players)]):
        timers.append((start + at, seq, i, None))
        seq += 1
    heapq.heapify(timers)
    in_flight: dict[socket.socket, _InFlight] = {}
    first_sent = dict.fromkeys(order, math.inf)
    last_done = dict.fromkeys(order, start)
    next_report = start + 1.0

    def advance(call: int, reply: Reply | None, kind: str | None, now: float) -> None:
        """Hand the reply to the call's player and schedule what it sends next."""
        nonlocal seq
        result = results[ports[call]]
        try:
            if reply is None:
                games[call] = players[call].play()
                webhook = next(games[call])
            else:
                webhook = games[call].send(reply)
        except StopIteration as stop:
            played: PlayedCall = stop.value
            result.completed += 1
            result.endings[played.ending] += 1
            del games[call]
            return
        except CallFailed as exc:
            result.kind(kind or "entry").fail(str(exc))
            result.failed += 1
            del games[call]
            return
        heapq.heappush(timers, (now + webhook.delay, seq, call, webhook))
        seq += 1

    def finish(sock: socket.socket, state: _InFlight, error: str | None) -> None:
        sel.unregister(sock)
        sock.close()
        del in_flight[sock]
        now = time.perf_counter()
        port = ports[state.call]
        result = results[port]
        kind = result.kind(state.webhook.kind)
        if error is None:
            try:
                reply = parse_response(bytes(state.buffer))
            except CallFailed as exc:
                error = str(exc)
        if error is not None:
            kind.fail(error)
            result.failed += 1
            games.pop(state.call, None)
            return
        if reply.status == state.webhook.expect:
            kind.latencies.append(now - state.started)
            last_done[port] = now
        advance(state.call, reply, state.webhook.kind, now)

    while (timers or in_flight) and time.perf_counter() < deadline:
        now = time.perf_counter()
        while timers and timers[0][0] <= now:
            due, _, call, webhook = heapq.heappop(timers)
            if webhook is None:
                advance(call, None, None, due)
                continue
            port = ports[call]
            results[port].lags.append(now - due)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            started = time.perf_counter()
            first_sent[port] = min(first_sent[port], started)
            sock.connect_ex(("127.0.0.1", port))
            state = _InFlight(call, webhook, webhook.raw(f"127.0.0.1:{port}"), started)
            in_flight[sock] = state
            sel.register(sock, selectors.EVENT_WRITE, state)
        wait = 0.05 if not timers else max(0.0, min(0.05, timers[0][0] - time.perf_counter()))
        for key, events in sel.select(timeout=wait) if in_flight else []:
            sock = key.fileobj  # type: ignore[assignment]
            state = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    sent = sock.send(state.data)
                    state.data = state.data[sent:]
                    if not state.data:
                        sel.modify(sock, selectors.EVENT_READ, state)
                    continue
                chunk = sock.recv(65536)
            except OSError as exc:
                finish(sock, state, f"{type(exc).__name__}: {exc}")
                continue
            if chunk:
                state.buffer += chunk
            else:
                finish(sock, state, None)
        if not in_flight and timers:
            time.sleep(max(0.0, min(0.05, timers[0][0] - time.perf_counter())))
        now = time.perf_counter()
        for sock, state in list(in_flight.items()):
            if now - state.started > request_timeout:
                finish(sock, state, f"no answer within {request_timeout:.0f} s")
        if progress and now >= next_report:
            done = sum(r.completed + r.failed for r in results.values())
            answered = sum(r.requests for r in results.values())
            progress(
                f"    {now - start:5.1f} s: {done:,}/{len(players):,} calls done,"
                f" {len(games):,} in progress, {answered:,} requests answered"
            )
            next_report = now + 1.0
    for sock, state in list(in_flight.items()):
        finish(sock, state, "time limit reached")
    for call in games:
        results[ports[call]].unfinished += 1
    sel.close()
    for port, result in results.items():
        if first_sent[port] < math.inf:
            result.elapsed = max(0.0, last_done[port] - first_sent[port])
    return [results[port] for port in order]


# -- counting what the database is asked to do -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WireCounts:
    """What clients asked PostgreSQL for, as seen on the wire."""

    statements: int = 0
    round_trips: int = 0
    transactions: int = 0
    connections: int = 0
    verbs: Counter = dataclasses.field(default_factory=Counter)  # statements by first word
    rows: Counter = dataclasses.field(default_factory=Counter)  # rows by command tag
    sql: Counter = dataclasses.field(default_factory=Counter)  # statements by their text

    def __sub__(self, other: WireCounts) -> WireCounts:
        return WireCounts(
            self.statements - other.statements,
            self.round_trips - other.round_trips,
            self.transactions - other.transactions,
            self.connections - other.connections,
            self.verbs - other.verbs,
            self.rows - other.rows,
            self.sql - other.sql,
        )

    def __add__(self, other: WireCounts) -> WireCounts:
        return WireCounts(
            self.statements + other.statements,
            self.round_trips + other.round_trips,
            self.transactions + other.transactions,
            self.connections + other.connections,
            self.verbs + other.verbs,
            self.rows + other.rows,
            self.sql + other.sql,
        )


_SSL_REQUEST, _GSS_REQUEST, _CANCEL_REQUEST = 80877103, 80877104, 80877102
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "START", "END", "SAVEPOINT", "RELEASE"}


def _verb(sql: str) -> str:
    words = sql.lstrip(" \t\r\n(").split(None, 1)
    return (words[0].upper().rstrip(";") or ";") if words else "(empty)"


def _statement(sql: str) -> WireCounts:
    return WireCounts(
        statements=1, verbs=Counter({_verb(sql): 1}), sql=Counter({" ".join(sql.split()): 1})
    )


class _WireSide:
    """Splits one direction of a PostgreSQL connection into messages."""

    def __init__(self, typed: bool) -> None:
        self.typed = typed
        self.buffer = bytearray()

    def messages(self, chunk: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(type, payload) of every message completed by ``chunk``; ``b""`` as the type of
        an untyped start-up message (its payload starts with the protocol code)."""
        self.buffer += chunk
        while True:
            head = 5 if self.typed else 4
            if len(self.buffer) < head:
                return
            if self.typed:
                kind = bytes(self.buffer[:1])
                (length,) = struct.unpack("!I", self.buffer[1:5])
                total = 1 + length
            else:
                kind = b""
                (length,) = struct.unpack("!I", self.buffer[:4])
                total = length
            if len(self.buffer) < total:
                return
            payload = bytes(self.buffer[head:total])
            del self.buffer[:total]
            yield kind, payload


class PgWireCounter:
    """A counting TCP proxy in front of PostgreSQL (threads; started and stopped by the
    benchmark). It forwards every byte unchanged and counts, per the protocol:

    - **statements**: each ``Execute`` (extended protocol: the portal's statement, by the
      text its ``Parse`` gave) and each simple ``Query``;
    - **round trips**: each ``ReadyForQuery``, which the client waits for before it goes on
      (the one ending a connection's start-up is counted as a connection instead);
    - **transactions**: each ``COMMIT``/``ROLLBACK``, plus each statement run outside a
      transaction block (autocommit);
    - **rows**: per ``CommandComplete`` tag (``INSERT 0 1`` → 1 inserted, ``SELECT 5`` …).

    TLS and GSS encryption requests are declined by the proxy itself, so the conversation is
    readable; counts are taken before a message is forwarded, so when a client has its answer
    the counts already include what it caused.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._counts = WireCounts()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._stopped = threading.Event()

    def __enter__(self) -> PgWireCounter:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def snapshot(self) -> WireCounts:
        with self._lock:
            return self._counts

    def _add(self, **delta: Any) -> None:
        self._add_counts(WireCounts(**delta))

    def _add_counts(self, delta: WireCounts) -> None:
        with self._lock:
            self._counts = self._counts + delta

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self._sockets += [client, server]
            state = {"started": False, "in_block": False, "portals": {}, "statements": {}}
            for target, args in (
                (self._client_to_server, (client, server, state)),
                (self._server_to_client, (server, client, state)),
            ):
                threading.Thread(target=target, args=args, daemon=True).start()

    def _client_to_server(self, src: socket.socket, dst: socket.socket, state: dict) -> None:
        side = _WireSide(typed=False)
        try:
            while chunk := src.recv(65536):
                out = bytearray()
                for kind, payload in side.messages(chunk):
                    if not kind:  # start-up phase
                        (code,) = struct.unpack("!I", payload[:4])
                        if code in (_SSL_REQUEST, _GSS_REQUEST):
                            src.sendall(b"N")  # no encryption: the proxy must read along
                            continue
                        out += struct.pack("!I", len(payload) + 4) + payload
                        side.typed = code != _CANCEL_REQUEST
                        continue
                    out += kind + struct.pack("!I", len(payload) + 4) + payload
                    self._frontend(kind, payload, state)
                if out:
                    dst.sendall(out)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def _frontend(self, kind: bytes, payload: bytes, state: dict) -> None:
        if kind == b"Q":
            self._add_counts(_statement(payload[:-1].decode(errors="replace")))
        elif kind == b"P":
            name, _, rest = payload.partition(b"\0")
            state["statements"][name] = rest.partition(b"\0")[0].decode(errors="replace")
        elif kind == b"B":
            portal, _, rest = payload.partition(b"\0")
            state["portals"][portal] = state["statements"].get(rest.partition(b"\0")[0], "?")
        elif kind == b"E":
            portal = payload.partition(b"\0")[0]
            self._add_counts(_statement(state["portals"].get(portal, "?")))

    def _server_to_client(self, src: socket.socket, dst: socket.socket, state: dict) -> None:
        side = _WireSide(typed=True)
        try:
            while chunk := src.recv(65536):
                for kind, payload in side.messages(chunk):
                    self._backend(kind, payload, state)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def _backend(self, kind: bytes, payload: bytes, state: dict) -> None:
        if kind == b"Z":
            if not state["started"]:
                state["started"] = True
                self._add(connections=1)
            else:
                self._add(round_trips=1)
            state["in_block"] = payload[:1] in (b"T", b"E")
        elif kind == b"C":
            tag = payload[:-1].decode(errors="replace").split()
            if not tag:
                return
            command = tag[0]
            if command in ("COMMIT", "ROLLBACK"):
                self._add(transactions=1)
                state["in_block"] = False
            elif command in ("BEGIN", "START"):
                state["in_block"] = True
            elif command not in _TRANSACTION_CONTROL and not state["in_block"]:
                self._add(transactions=1)
            if tag[-1].isdigit() and command in ("INSERT", "UPDATE", "DELETE", "SELECT", "COPY"):
                self._add(rows=Counter({command: int(tag[-1])}))


@dataclasses.dataclass
class CountedCalls:
    """The counting pass: database work per webhook kind and per call behaviour."""

    calls: int = 0
    by_kind: dict[str, WireCounts] = dataclasses.field(default_factory=dict)
    requests_by_kind: Counter = dataclasses.field(default_factory=Counter)
    by_behaviour: dict[str, WireCounts] = dataclasses.field(default_factory=dict)
    calls_by_behaviour: Counter = dataclasses.field(default_factory=Counter)
    failed: int = 0
    elapsed: float = 0.0

    @property
    def total(self) -> WireCounts:
        total = WireCounts()
        for counts in self.by_kind.values():
            total = total + counts
        return total


def play_serial(
    port: int,
    players: Sequence[CallPlayer],
    counter: PgWireCounter | None = None,
    timeout: float = 10.0,
) -> CountedCalls:
    """Play the calls one webhook at a time (no waiting between them), with the database
    work of each webhook taken from ``counter``: with one request in flight, whatever the
    database was asked to do meanwhile was asked by that request."""
    counted = CountedCalls()
    started = time.perf_counter()
    host = f"127.0.0.1:{port}"
    for player in players:
        game = player.play()
        call_counts = WireCounts()
        try:
            webhook = next(game)
            while True:
                before = counter.snapshot() if counter else WireCounts()
                with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
                    sock.sendall(webhook.raw(host))
                    data = bytearray()
                    while chunk := sock.recv(65536):
                        data += chunk
                reply = parse_response(bytes(data))
                if counter:
                    delta = counter.snapshot() - before
                    kind = webhook.kind
                    counted.by_kind[kind] = counted.by_kind.get(kind, WireCounts()) + delta
                    counted.requests_by_kind[kind] += 1
                    call_counts = call_counts + delta
                webhook = game.send(reply)
        except StopIteration:
            counted.calls += 1
            name = player.script.behaviour.value
            counted.by_behaviour[name] = counted.by_behaviour.get(name, WireCounts()) + call_counts
            counted.calls_by_behaviour[name] += 1
        except (CallFailed, OSError) as exc:
            counted.failed += 1
            print(f"  counting pass: call {player.script.call_sid} failed: {exc}")
    counted.elapsed = time.perf_counter() - started
    return counted


def print_sql(counted: CountedCalls) -> None:
    """Every statement text the counting pass saw, per webhook kind (per request)."""
    for name in _ordered(counted.by_kind):
        n = max(1, counted.requests_by_kind[name])
        print(f"\n  {name}:")
        for text, count in counted.by_kind[name].sql.most_common():
            print(f"    {count / n:6.2f}  {text[:160]}")


def print_counts(counted: CountedCalls) -> None:
    calls = max(1, counted.calls)
    print(
        f"\ndatabase work (counting pass: {counted.calls} calls, one webhook at a time,"
        f" {counted.calls / counted.elapsed if counted.elapsed else 0:.0f} calls/s,"
        f" {counted.failed} failed)"
    )
    print(
        f"  {'webhook':18}{'requests':>9}{'stmts/req':>11}{'trips/req':>11}{'tx/req':>8}"
        "  statements by verb (per request)"
    )
    for name in _ordered(counted.by_kind):
        c, n = counted.by_kind[name], max(1, counted.requests_by_kind[name])
        verbs = ", ".join(f"{v} {k / n:.2f}" for v, k in c.verbs.most_common())
        print(
            f"  {name:18}{counted.requests_by_kind[name]:>9}{c.statements / n:>11.2f}"
            f"{c.round_trips / n:>11.2f}{c.transactions / n:>8.2f}  {verbs}"
        )
    total = counted.total
    rows = ", ".join(f"{k.lower()} {v / calls:.1f}" for k, v in sorted(total.rows.items()))
    print(
        f"  per whole call: {total.statements / calls:.1f} statements,"
        f" {total.round_trips / calls:.1f} round trips, {total.transactions / calls:.1f}"
        f" transactions; rows {rows}; {total.connections} new connections in all"
    )
    for name, c in sorted(counted.by_behaviour.items()):
        n = max(1, counted.calls_by_behaviour[name])
        print(
            f"  per {name} call ({n}): {c.statements / n:.1f} statements,"
            f" {c.round_trips / n:.1f} round trips, {c.transactions / n:.1f} transactions"
        )


# -- servers -----------------------------------------------------------------------------------


def procfile_workers(workers: int | None) -> int:
    """The workers ``gunicorn.conf.py`` gives the web process (``WEB_CONCURRENCY``, else its
    own default), or ``workers`` if pinned."""
    if workers:
        return workers
    return int(runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"])


class ProcfileGunicorn(voice.Gunicorn):
    """Gunicorn as the ``Procfile`` starts the web process (``gunicorn -c gunicorn.conf.py``),
    bound to 127.0.0.1 only; ``workers`` pins ``WEB_CONCURRENCY``."""

    def __init__(  # noqa: PLR0913 - one argument per knob
        self,
        app_spec: str,
        port: int,
        env: dict[str, str],
        log_path: Path,
        workers: int | None = None,
        pythonpath: Path | None = None,
    ) -> None:
        self.settings = voice.ServerSettings(workers=procfile_workers(workers), port=port)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        if pythonpath:
            command += ["--pythonpath", str(pythonpath)]
        env = {**env, "PORT": str(port)}
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*command, app_spec], env=env, stdout=self._log, stderr=self._log, cwd=ROOT
        )


class RedisServer:
    """A redis-server of the benchmark's own on a free port (never the shared one), so the
    queue call-outs are enqueued as in production; nothing consumes them."""

    def __init__(self, log_path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class CpuMeter:
    """CPU time used by one gunicorn (master and workers) and by the PostgreSQL backends
    serving its database, from ``/proc`` (Linux): what a call costs the machine, whatever
    else runs on it."""

    def __init__(self, server_pid: int, database_url: str, application: str | None = None) -> None:
        self.server_pid = server_pid
        self.database_url = database_url
        #: Only the backends of connections with this ``application_name`` (two apps on
        #: one database).
        self.application = application

    def sample(self) -> tuple[dict[int, float], dict[int, float]]:
        """CPU seconds so far of the server's processes, and of the database's backends."""
        import psycopg

        app = {pid: _cpu_seconds(pid) for pid in [self.server_pid, *_children(self.server_pid)]}
        with psycopg.connect(voice.psycopg_url(self.database_url), autocommit=True) as conn:
            pids = [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    " AND (%(app)s::text IS NULL OR application_name = %(app)s::text)",
                    {"app": self.application},
                )
            ]
        return app, {pid: _cpu_seconds(pid) for pid in pids}

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@dataclasses.dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent during one measurement."""

    app: float
    database: float
    load: float
    wall: float

    def describe(self, calls: int) -> str:
        per = 1000 / max(1, calls)
        cores = (self.app + self.database + self.load) / self.wall if self.wall else 0.0
        return (
            f"CPU per call: app {self.app * per:.1f} ms, PostgreSQL {self.database * per:.1f} ms,"
            f" load generator {self.load * per:.1f} ms; together {cores:.2f} of"
            f" {os.cpu_count()} cores (load average {os.getloadavg()[0]:.2f})"
        )


@contextlib.contextmanager
def measuring_cpu(meter: CpuMeter | None) -> Iterator[list[CpuUse]]:
    """Yields a list that holds the :class:`CpuUse` of the block once it has run."""
    out: list[CpuUse] = []
    if meter is None:
        yield out
        return
    app, database = meter.sample()
    load, wall = time.process_time(), time.perf_counter()
    yield out
    app_after, database_after = meter.sample()
    out.append(
        CpuUse(
            meter.used(app, app_after),
            meter.used(database, database_after),
            time.process_time() - load,
            time.perf_counter() - wall,
        )
    )


def calls_env(
    database_url: str, flows_dir: Path, workdir: Path, args: argparse.Namespace, redis: str
) -> dict[str, str]:
    env = voice.app_env(database_url, flows_dir, args.log_level)
    env.update(FALLBACK_SNAPSHOT_PATH=str(workdir / "fallback-numbers.json"))
    if redis:
        env["REDIS_URL"] = redis
    return env


# -- the runs ----------------------------------------------------------------------------------


@dataclasses.dataclass
class DataSet:
    """A seeded database and what calls to it need."""

    plan: CallsSeedPlan
    url: str
    maker: ScriptMaker


def prepare(plan: CallsSeedPlan, url: str, args: argparse.Namespace, now: dt.datetime) -> DataSet:
    from ivr_flows.loader import load_flows

    ensure_seeded(url, plan, args.reseed, now)
    clear_calls(url)
    flows, errors = load_flows(args.flows_dir)
    if errors:
        raise SystemExit(f"flows do not load: {errors}")
    by_number = {number: flows[name] for number, name in line_flows(plan, now).items()}
    maker = ScriptMaker(
        by_number,
        [voice.line_number(i) for i in plan.staffed_lines()],
        [voice.line_number(i) for i in plan.unstaffed()],
        args.mix,
        run_id=uuid.uuid4().hex[:8],
        seed=args.seed,
    )
    return DataSet(plan, url, maker)


def players_for(maker: ScriptMaker, count: int, args: argparse.Namespace) -> list[CallPlayer]:
    validator = RequestValidator(voice.AUTH_TOKEN)
    return [CallPlayer(s, validator, args.time_scale) for s in maker.scripts(count)]


def open_loop_round(
    port: int,
    maker: ScriptMaker,
    rate: float,
    seconds: float,
    args: argparse.Namespace,
    progress: Callable[[str], None] | None = print,
) -> CallsResult:
    arrivals = poisson_arrivals(rate, seconds, random.Random(f"{args.seed}-{rate}-{maker.count}"))
    players = players_for(maker, len(arrivals), args)
    return run_open_loop(
        port,
        arrivals,
        players,
        limit_s=seconds + args.drain_seconds,
        request_timeout=args.request_timeout,
        progress=progress,
    )


def run_rates(
    data: DataSet, args: argparse.Namespace, workdir: Path, redis: str
) -> dict[float, CallsResult]:
    env = calls_env(data.url, args.flows_dir, workdir, args, redis)
    results: dict[float, CallsResult] = {}
    with contextlib.ExitStack() as stack:
        server = ProcfileGunicorn(
            args.app, args.port, env, workdir / "calls.log", args.workers, args.pythonpath
        )
        stack.callback(server.stop)
        print(
            f"starting the hotline ({args.app}): gunicorn -c gunicorn.conf.py,"
            f" {server.settings.workers} workers, 127.0.0.1:{args.port}"
        )
        server.wait_ready()
        print(f"  warm-up: {args.warmup_seconds:g} s of calls at {args.rates[0]:g}/s")
        warm = open_loop_round(args.port, data.maker, args.rates[0], args.warmup_seconds, args)
        if warm.errors:
            print(f"  warm-up had {warm.errors} errors")
        meter = CpuMeter(server.proc.pid, data.url)
        for rate in args.rates:
            print(f"  whole calls at {rate:g}/s for {args.seconds:g} s")
            with measuring_cpu(meter) as cpu:
                results[rate] = open_loop_round(args.port, data.maker, rate, args.seconds, args)
            results[rate].cpu = cpu[0]
            print_calls_table(f"whole calls at {rate:g} new calls/s", results[rate])
        if args.count_calls:
            counted = count_database_work(data, args, workdir, env)
            print_counts(counted)
            if args.show_sql:
                print_sql(counted)
    return results


def count_database_work(
    data: DataSet, args: argparse.Namespace, workdir: Path, env: dict[str, str]
) -> CountedCalls:
    """The counting pass, on a second instance of the app whose database is behind a
    :class:`PgWireCounter`."""
    from sqlalchemy.engine import make_url

    url = make_url(data.url)
    port = args.port + 1
    with contextlib.ExitStack() as stack:
        counter = stack.enter_context(PgWireCounter(url.host or "127.0.0.1", url.port or 5432))
        counted_url = url.set(host="127.0.0.1", port=counter.port).render_as_string(
            hide_password=False
        )
        server = ProcfileGunicorn(
            args.app,
            port,
            {**env, "DATABASE_URL": counted_url},
            workdir / "counted.log",
            args.workers,
            args.pythonpath,
        )
        stack.callback(server.stop)
        print(f"\ncounting pass: {args.count_calls} calls through the wire counter")
        server.wait_ready()
        play_serial(port, players_for(data.maker, 20, args))  # warm every worker up
        return play_serial(port, players_for(data.maker, args.count_calls, args), counter)


def slot_schedule(arrivals: Sequence[float], targets: int, slot_seconds: float) -> list[int]:
    """Which target each arrival goes to: time is cut into slots of ``slot_seconds`` that
    take turns between the targets (0, 1, 2, 0, 1, …), so every target gets the same rate
    during its slots, and the calls of one slot still run while the next slot's arrive."""
    return [int(at // slot_seconds) % targets for at in arrivals]


def run_scaling(
    args: argparse.Namespace, workdir: Path, redis: str, now: dt.datetime
) -> list[tuple[CallsSeedPlan, CallsResult]]:
    """The same whole calls against each data set, served side by side: one open loop whose
    arrivals (at ``--scaling-rate``) take turns between the data sets in short slots, so
    that load from elsewhere on the machine falls on all of them alike."""
    sets = []
    for shifts, operators in args.sizes:
        plan = scaled_plan(shifts, operators)
        url = database_for(args.database_url, plan)
        print(
            f"\ndata set: {plan.shifts:,} shifts, {plan.operators:,} operators,"
            f" {plan.past_days + plan.future_days} days ({url.rsplit('/', 1)[-1]})"
        )
        sets.append(prepare(plan, url, args, now))
    ports = [args.port + 10 + i for i in range(len(sets))]
    meters = []
    with contextlib.ExitStack() as stack:
        for i, (port, data) in enumerate(zip(ports, sets, strict=True)):
            env = calls_env(data.url, args.flows_dir, workdir, args, redis)
            server = ProcfileGunicorn(
                args.app, port, env, workdir / f"scale-{i}.log", args.workers, args.pythonpath
            )
            stack.callback(server.stop)
            server.wait_ready()
            meters.append(CpuMeter(server.proc.pid, data.url))
            print(f"  warm-up, {data.plan.shifts:,} shifts: {args.warmup_seconds:g} s")
            open_loop_round(port, data.maker, args.scaling_rate, args.warmup_seconds, args)
        total = args.seconds * len(sets)
        arrivals = poisson_arrivals(args.scaling_rate, total, random.Random(f"{args.seed}-scaling"))
        turns = slot_schedule(arrivals, len(sets), args.slot_seconds)
        players = [players_for(sets[t].maker, 1, args)[0] for t in turns]
        print(
            f"  whole calls at {args.scaling_rate:g}/s for {total:g} s, in slots of"
            f" {args.slot_seconds:g} s taking turns between the data sets"
        )
        before = [meter.sample() for meter in meters]
        load, wall = time.process_time(), time.perf_counter()
        results = run_open_loop_on(
            [ports[t] for t in turns],
            arrivals,
            players,
            limit_s=total + args.drain_seconds,
            request_timeout=args.request_timeout,
        )
        load, wall = time.process_time() - load, time.perf_counter() - wall
        after = [meter.sample() for meter in meters]
    by_port = dict(zip(dict.fromkeys(ports[t] for t in turns), results, strict=True))
    measured = [(d, by_port.get(port, CallsResult())) for port, d in zip(ports, sets, strict=True)]
    for (_, result), meter, (app0, db0), (app1, db1) in zip(
        measured, meters, before, after, strict=True
    ):
        share = result.calls / max(1, len(players))  # the load generator served them all
        result.cpu = CpuUse(meter.used(app0, app1), meter.used(db0, db1), load * share, wall)
    for data, result in measured:
        print_calls_table(
            f"scaling: {data.plan.shifts:,} shifts, {data.plan.operators:,} operators,"
            f" {args.scaling_rate:g} calls/s in its slots",
            result,
        )
    return [(d.plan, r) for d, r in measured]


@dataclasses.dataclass(frozen=True)
class Mechanism:
    """A fast path on the voice path and the setting that switches it off (the plain
    library path instead)."""

    name: str
    setting: str
    on: str
    off: str
    what: str


#: Every fast-path mechanism on the voice path (docs/benchmarks.md, "Mechanisms"): none is
#: left, each one measured did not pay its way. A candidate comes with ``--setting``.
MECHANISMS: tuple[Mechanism, ...] = ()


def parse_mechanism(text: str) -> Mechanism:
    """``NAME=ON:OFF`` → a candidate mechanism under the app's setting ``NAME``."""
    name, sep, values = text.partition("=")
    on, sep2, off = values.partition(":")
    if not (name.strip() and sep and sep2 and on.strip() and off.strip()):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=ON:OFF")
    name = name.strip().upper()
    return Mechanism(name.lower(), name, on.strip(), off.strip(), f"{name}={on} vs {off}")


#: A mechanism is kept if it gains at least this much throughput or p99 (percent).
MECHANISM_GAIN_PERCENT = 5.0
#: Calls per second of each app's warm-up in ``--compare``.
COMPARE_WARMUP_RATE = 10.0
#: Above this p99 of all webhooks the machine is taken to be overloaded.
OVERLOAD_P99_MS = 500.0


def paired_arrivals(
    rate: float, seconds: float, slot_seconds: float, rng: random.Random
) -> tuple[list[float], list[int]]:
    """Arrivals for two servers over ``2 * seconds``: one-second slots (``slot_seconds``)
    take turns between them in pairs, the second slot of a pair repeating the first one's
    arrivals, so both get the same calls at the same moments of their slots. Which server
    leads alternates from pair to pair, so neither is always the one that goes first, and
    the last pair has the first pair's lead: the first server's arrivals then span the same
    number of slots as the second's (from slot 0 and from slot 1), so requests per second
    over each one's own span compare alike.
    Returns the arrival times in order and which server (0, 1) each goes to."""
    base = poisson_arrivals(rate, seconds, rng)
    last_pair = max(0, math.ceil(seconds / slot_seconds) - 1)
    timed = []
    for t in base:
        slot, within = divmod(t, slot_seconds)
        start = 2 * slot * slot_seconds + within
        lead = 0 if int(slot) in (0, last_pair) else int(slot) % 2
        timed += [(start, lead), (start + slot_seconds, 1 - lead)]
    timed.sort()
    return [t for t, _ in timed], [target for _, target in timed]


@dataclasses.dataclass
class Comparison:
    """One mechanism measured: every mechanism on vs this one off, in one open loop."""

    mechanism: Mechanism
    on: CallsResult
    off: CallsResult

    @staticmethod
    def rps(result: CallsResult) -> float:
        return result.requests / result.elapsed if result.elapsed else 0.0

    @property
    def throughput_gain(self) -> float:
        """Percent more webhooks served per second with the mechanism than without."""
        off = self.rps(self.off)
        return (self.rps(self.on) / off - 1) * 100 if off else float("nan")

    @property
    def p99_gain(self) -> float:
        """Percent of the p99 (all webhooks) the mechanism takes away."""
        off = percentile(self.off.all_latencies, 99)
        return (1 - percentile(self.on.all_latencies, 99) / off) * 100 if off else float("nan")

    @property
    def gain(self) -> float:
        return max(self.throughput_gain, self.p99_gain)

    @property
    def decision(self) -> str:
        """What the issue's rule says; below 5 % under overload the run cannot tell."""
        if self.gain >= MECHANISM_GAIN_PERCENT:
            return "keep"
        return "unclear (overloaded)" if self.overloaded else "remove"

    @property
    def overloaded(self) -> bool:
        return any(
            percentile(r.all_latencies, 99) > OVERLOAD_P99_MS or r.errors
            for r in (self.on, self.off)
        )


def print_comparison(comparison: Comparison, rate: float) -> None:
    m = comparison.mechanism
    print(f"\nmechanism {m.name}: {m.what}; {rate:g} new calls/s in each one's slots")
    print(
        f"  {'':34}{'calls':>7}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'CPU/call app':>14}{'PostgreSQL':>12}"
    )
    for label, result in (
        ("all on", comparison.on),
        (f"{m.setting}={m.off}", comparison.off),
    ):
        per = 1000 / max(1, result.calls)
        cpu = result.cpu
        print(
            f"  {label:34}{result.calls:>7,}{result.requests:>10,}{result.errors:>8}"
            f"{Comparison.rps(result):>9.1f}{percentile(result.all_latencies, 50):>9.1f}"
            f"{percentile(result.all_latencies, 99):>9.1f}"
            f"{(cpu.app * per if cpu else 0):>11.1f} ms{(cpu.database * per if cpu else 0):>9.1f} ms"
        )
    cpu_on, cpu_off = comparison.on.cpu, comparison.off.cpu
    cpu_gain = (
        (
            1
            - (cpu_on.app / max(1, comparison.on.calls))
            / (cpu_off.app / max(1, comparison.off.calls))
        )
        * 100
        if cpu_on and cpu_off and cpu_off.app
        else float("nan")
    )
    verdict = comparison.decision
    print(
        f"  gain with it: throughput {comparison.throughput_gain:+.1f} %,"
        f" p99 {comparison.p99_gain:+.1f} %, app CPU per call {cpu_gain:+.1f} %"
        f" → {verdict} (≥ {MECHANISM_GAIN_PERCENT:g} % in throughput or p99)"
    )
    if comparison.overloaded:
        print(
            f"  overloaded at {rate:g}/s (p99 over {OVERLOAD_P99_MS:g} ms or errors): the p99 is"
            " queueing, not the mechanism; try a lower --compare-rate"
        )


def run_compare(
    data: DataSet, args: argparse.Namespace, workdir: Path, redis: str
) -> list[Comparison]:
    """For each mechanism, two apps side by side with the same gunicorn settings (every
    mechanism on; that one off), under one open loop whose slots take turns between them and
    whose calls are the same for both (:func:`paired_arrivals`), so that load from
    elsewhere on the machine falls on both alike."""
    from ivr_flows.loader import load_flows

    flows, _ = load_flows(args.flows_dir)
    by_number = {
        number: flows[name]
        for number, name in line_flows(data.plan, dt.datetime.now(dt.UTC)).items()
    }
    known = (*MECHANISMS, *args.setting)
    chosen = [m for m in known if not args.mechanisms or m.name in args.mechanisms]
    all_on = {m.setting: m.on for m in known}
    ports = (args.port + 30, args.port + 31)
    compared = []
    for n, mechanism in enumerate(chosen):
        clear_calls(data.url)
        variants = (all_on, {**all_on, mechanism.setting: mechanism.off})
        makers = [
            ScriptMaker(
                by_number,
                [voice.line_number(i) for i in data.plan.staffed_lines()],
                [voice.line_number(i) for i in data.plan.unstaffed()],
                args.mix,
                run_id=uuid.uuid4().hex[:8],
                seed=args.seed + n,
            )
            for _ in variants
        ]
        meters = []
        print(f"\nmechanism {mechanism.name}: all on vs {mechanism.setting}={mechanism.off}")
        with contextlib.ExitStack() as stack:
            for i, (port, settings) in enumerate(zip(ports, variants, strict=True)):
                application = f"bench-compare-{i}"
                url = f"{data.url}{'&' if '?' in data.url else '?'}application_name={application}"
                env = {**calls_env(url, args.flows_dir, workdir, args, ""), **settings}
                if redis:  # a Redis database each: the callers' memory (redial) stays apart
                    env["REDIS_URL"] = redis.rsplit("/", 1)[0] + f"/{i + 1}"
                server = ProcfileGunicorn(
                    args.app,
                    port,
                    env,
                    workdir / f"compare-{mechanism.name}-{i}.log",
                    args.workers,
                    args.pythonpath,
                )
                stack.callback(server.stop)
                server.wait_ready()
                meters.append(CpuMeter(server.proc.pid, data.url, application))
            # Warm-up (every worker's connections and caches) below any overload.
            warm_rate = min(args.compare_rate, COMPARE_WARMUP_RATE)
            print(f"  warm-up: {args.warmup_seconds:g} s of calls at {warm_rate:g}/s each")
            for port, maker in zip(ports, makers, strict=True):
                open_loop_round(port, maker, warm_rate, args.warmup_seconds, args, progress=None)
            arrivals, turns = paired_arrivals(
                args.compare_rate,
                args.seconds,
                args.slot_seconds,
                random.Random(f"{args.seed}-compare-{n}"),
            )
            # The k-th call of either server follows the same script (same seed, own CallSids).
            for maker in makers:
                maker.rng = random.Random(f"{args.seed}-compare-calls-{n}")
            players = [players_for(makers[t], 1, args)[0] for t in turns]
            print(
                f"  whole calls at {args.compare_rate:g}/s in each one's slots for"
                f" {2 * args.seconds:g} s, slots of {args.slot_seconds:g} s taking turns"
            )
            before = [meter.sample() for meter in meters]
            load, wall = time.process_time(), time.perf_counter()
            results = run_open_loop_on(
                [ports[t] for t in turns],
                arrivals,
                players,
                limit_s=2 * args.seconds + args.drain_seconds,
                request_timeout=args.request_timeout,
                progress=None,
            )
            load, wall = time.process_time() - load, time.perf_counter() - wall
            after = [meter.sample() for meter in meters]
        for result, meter, (app0, db0), (app1, db1) in zip(
            results, meters, before, after, strict=True
        ):
            share = result.calls / max(1, len(players))
            result.cpu = CpuUse(meter.used(app0, app1), meter.used(db0, db1), load * share, wall)
        comparison = Comparison(mechanism, results[0], results[1])
        print_comparison(comparison, args.compare_rate)
        compared.append(comparison)
    return compared


def print_mechanisms_table(compared: Sequence[Comparison], rate: float) -> None:
    """The table for docs/benchmarks.md ("Mechanisms")."""
    print(f"\nmechanisms at {rate:g} new calls/s (all on vs that one off, alternating slots)")
    print(
        "| mechanism | req/s on / off | p50 ms on / off | p99 ms on / off"
        " | app CPU per call on / off | gain throughput / p99 | decision |"
    )
    print("|---|---|---|---|---|---|---|")
    for c in compared:
        on, off = c.on, c.off
        cpu = [r.cpu.app * 1000 / max(1, r.calls) if r.cpu else 0.0 for r in (on, off)]
        print(
            f"| {c.mechanism.name} (`{c.mechanism.setting}={c.mechanism.off}`)"
            f" | {Comparison.rps(on):.1f} / {Comparison.rps(off):.1f}"
            f" | {percentile(on.all_latencies, 50):.1f} / {percentile(off.all_latencies, 50):.1f}"
            f" | {percentile(on.all_latencies, 99):.1f} / {percentile(off.all_latencies, 99):.1f}"
            f" | {cpu[0]:.1f} / {cpu[1]:.1f} ms"
            f" | {c.throughput_gain:+.1f} % / {c.p99_gain:+.1f} %"
            f" | {c.decision} |"
        )


def run_entry(
    data: DataSet, args: argparse.Namespace, workdir: Path
) -> dict[str, voice.LoadResult]:
    """Voice entry vs write floor vs baseline, side by side, alternating rounds."""
    import psycopg
    from bench_write_floor_app import CREATE_TABLE, TABLE

    with psycopg.connect(voice.psycopg_url(data.url), autocommit=True) as conn:
        conn.execute(CREATE_TABLE)
        conn.execute(f"TRUNCATE {TABLE}")
    clear_calls(data.url)
    apps = {
        "baseline": ("bench_baseline_app:app", SCRIPTS),
        "floor": ("bench_write_floor_app:app", SCRIPTS),
        "app": (args.app, args.pythonpath),
    }
    ports = {name: args.port + 20 + i for i, name in enumerate(apps)}
    total = args.entry_warmup + args.entry_requests
    requests = voice.build_requests(total, voice.line_number(1), seed=11)

    def raw(server: str) -> list[bytes]:
        return [r.raw(f"127.0.0.1:{ports[server]}") for r in requests]

    targets = [
        voice.Target("baseline (bare Flask)", "baseline", raw("baseline"), b"<Dial"),
        voice.Target("write floor", "floor", raw("floor"), b"<Dial"),
        voice.Target("voice entry (route)", "app", raw("app"), b"<Number"),
    ]
    env = calls_env(data.url, args.flows_dir, workdir, args, "")
    load_args = argparse.Namespace(
        concurrency=args.concurrency,
        load_processes=args.load_processes,
        rounds=args.rounds,
        time_limit=args.request_timeout * 30,
    )
    with contextlib.ExitStack() as stack:
        for name, (spec, path) in apps.items():
            server = ProcfileGunicorn(
                spec, ports[name], env, workdir / f"entry-{name}.log", args.workers, path
            )
            stack.callback(server.stop)
            print(
                f"starting {name} ({spec}): gunicorn -c gunicorn.conf.py,"
                f" {server.settings.workers} workers, 127.0.0.1:{ports[name]}"
            )
            server.wait_ready()
        voice.measure_all(targets, ports, args.entry_warmup, load_args)
    print(f"\nvoice entry at {args.concurrency} concurrent callers")
    voice.print_table(targets)
    return {t.server: t.result for t in targets if t.result is not None}


def goals(
    entry: dict[str, voice.LoadResult] | None,
    rates: dict[float, CallsResult] | None,
    scaling: list[tuple[CallsSeedPlan, CallsResult]] | None,
    compared: Sequence[Comparison] | None = None,
) -> list[Goal]:
    """The issue's targets, from what was measured in this run."""
    found = []
    if entry:
        floor, app = entry["floor"], entry["app"]
        found.append(
            Goal("entry_rps_vs_write_floor", app.rps / floor.rps if floor.rps else 0.0, ">=", 0.7)
        )
        found.append(
            Goal(
                "entry_p99_vs_write_floor",
                app.percentile(99) / floor.percentile(99),
                "<=",
                1.5,
            )
        )
        found.append(Goal("entry_errors", float(app.errors), "==", 0))
    if rates and 50 in rates:
        result = rates[50]
        _, worst = result.worst_kind_p99()
        found.append(Goal("calls_50_worst_kind_p99_ms", worst, "<", 50))
        found.append(Goal("calls_50_errors", float(result.errors), "==", 0))
    if scaling and len(scaling) > 1:
        smallest = percentile(scaling[0][1].all_latencies, 99)
        largest = percentile(scaling[-1][1].all_latencies, 99)
        found.append(Goal("scaling_p99_ratio", largest / smallest, "<=", 1.2))
    for c in compared or ():
        found.append(
            Goal(f"mechanism_{c.mechanism.name}_gain", c.gain, ">=", MECHANISM_GAIN_PERCENT)
        )
    return found


def _sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        shifts, operators = part.split(":")
        sizes.append((int(float(shifts)), int(float(operators))))
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL URL of the default data set (env BENCH_DATABASE_URL); created if"
        " missing; the scaling sets live next to it",
    )
    parser.add_argument(
        "--rates",
        default=None,
        help="new calls per second, one measurement each; 'none' to skip whole calls",
    )
    parser.add_argument("--seconds", type=float, default=20, help="seconds of arrivals per rate")
    parser.add_argument("--warmup-seconds", type=float, default=3, help="warm-up per server")
    parser.add_argument(
        "--drain-seconds", type=float, default=30, help="after the arrivals, time to finish"
    )
    parser.add_argument("--request-timeout", type=float, default=10, help="per webhook")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.02,
        help="wall-clock seconds per second of call time (0.02: a 3-minute call in 3.6 s)",
    )
    parser.add_argument(
        "--mix", type=Mix.parse, default=Mix(), help="weights answered,menu-hangup,queued"
    )
    parser.add_argument(
        "--count-calls", type=int, default=200, help="calls in the counting pass (0: none)"
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="counting pass: list every statement's text"
    )
    parser.add_argument("--entry", action="store_true", help="also: voice entry vs write floor")
    parser.add_argument("--concurrency", type=int, default=32, help="--entry: callers at once")
    parser.add_argument("--entry-requests", type=int, default=6000, help="--entry: per app")
    parser.add_argument("--entry-warmup", type=int, default=600, help="--entry: per app")
    parser.add_argument("--load-processes", type=int, default=2, help="--entry: load processes")
    parser.add_argument("--scaling", action="store_true", help="also: the scaling measurement")
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(SCALING_SIZES),
        help="--scaling: shifts:operators of each data set, smallest first",
    )
    parser.add_argument("--scaling-rate", type=float, default=25, help="--scaling: calls/s")
    parser.add_argument(
        "--slot-seconds", type=float, default=1, help="--scaling: turns between data sets"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="each fast-path mechanism: all on vs that one off, side by side (skips --rates"
        " unless given)",
    )
    parser.add_argument(
        "--compare-rate", type=float, default=50, help="--compare: calls/s in each app's slots"
    )
    parser.add_argument(
        "--mechanisms",
        type=lambda text: [m.strip() for m in text.split(",") if m.strip()],
        default=[],
        help="--compare: only these ("
        + (", ".join(m.name for m in MECHANISMS) or "none is built in")
        + ")",
    )
    parser.add_argument(
        "--setting",
        type=parse_mechanism,
        action="append",
        default=[],
        help="--compare: a candidate fast path, the app's setting NAME on vs off (NAME=ON:OFF)",
    )
    parser.add_argument("--rounds", type=int, default=6, help="--entry: alternating rounds")
    parser.add_argument("--workers", type=int, help="pin WEB_CONCURRENCY for every app")
    parser.add_argument("--port", type=int, default=8760, help="first port on 127.0.0.1")
    parser.add_argument("--log-level", default="INFO", help="the app's LOG_LEVEL")
    parser.add_argument("--app", default="hotline:create_app()", help="gunicorn app spec")
    parser.add_argument("--pythonpath", type=Path, help="extra import path for --app")
    parser.add_argument("--no-redis", action="store_true", help="run the app without Redis")
    parser.add_argument("--reseed", action="store_true", help="seed every data set again")
    parser.add_argument("--seed-only", action="store_true", help="seed what is needed, stop")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the call mix")
    parser.add_argument(
        "--lines",
        type=int,
        help="--rates/--compare on a data set of this many lines at the default density"
        " (a database next to the default one)",
    )
    args = parser.parse_args(argv)
    if args.lines is not None and args.lines < 5:
        parser.error("--lines: at least 5")
    if args.rates is None:
        args.rates = "none" if args.compare else "10,25,50"
    args.rates = (
        [] if args.rates.strip().lower() == "none" else [float(r) for r in args.rates.split(",")]
    )
    unknown = set(args.mechanisms) - {m.name for m in (*MECHANISMS, *args.setting)}
    if unknown:
        parser.error(f"unknown mechanisms: {', '.join(sorted(unknown))}")
    if args.compare:
        from hotline.core.config import SETTINGS

        declared = {s.name for s in SETTINGS}
        undeclared = [m.setting for m in args.setting if m.setting not in declared]
        if undeclared:
            parser.error(f"--setting: not a setting of the app: {', '.join(undeclared)}")
        if not (*MECHANISMS, *args.setting):
            parser.error(
                "--compare: no mechanism to weigh (every fast path measured so far was"
                " removed); name a candidate with --setting NAME=ON:OFF"
            )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    now = dt.datetime.now(dt.UTC)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="rufbereit-bench-calls-"))
    args.flows_dir = voice.write_flows_dir(workdir / "flows")
    plan = few_lines_plan(args.lines) if args.lines else CallsSeedPlan()
    url = database_for(args.database_url, plan)
    if args.seed_only:
        ensure_seeded(url, plan, args.reseed, now)
        for shifts, operators in args.sizes if args.scaling else []:
            scaled = scaled_plan(shifts, operators)
            ensure_seeded(database_for(args.database_url, scaled), scaled, args.reseed, now)
        return 0
    entry = rates = scaling = compared = None
    with contextlib.ExitStack() as stack:
        redis = ""
        if not args.no_redis:
            server = RedisServer(workdir / "redis.log")
            stack.callback(server.stop)
            redis = server.url
        if args.rates or args.entry or args.compare:
            print(f"database: {url}")
            data = prepare(plan, url, args, now)
            if args.entry:
                entry = run_entry(data, args, workdir)
            if args.rates:
                rates = run_rates(data, args, workdir, redis)
            if args.compare:
                compared = run_compare(data, args, workdir, redis)
        if args.scaling:
            scaling = run_scaling(args, workdir, redis, now)
    if scaling:
        p99s = [percentile(r.all_latencies, 99) for _, r in scaling]
        print(
            "\nscaling, p99 of all webhooks: "
            + ", ".join(
                f"{p.shifts:,} shifts {v:.1f} ms" for (p, _), v in zip(scaling, p99s, strict=True)
            )
        )
    if compared:
        print_mechanisms_table(compared, args.compare_rate)
        if any(c.overloaded for c in compared):
            print(
                f"(overloaded at {args.compare_rate:g} new calls/s: there the p99 is queueing,"
                " not the mechanism)"
            )
    found = goals(entry, rates, scaling, compared)
    print(f"\n(server logs: {workdir})")
    for goal in found:
        print(goal.line())
    return 0 if all(g.met for g in found) else 1


if __name__ == "__main__":
    sys.exit(main())
