"""What each feature adds to the platform, handed over once at start-up.

The core never imports a feature. A feature's ``init_app(app, registry)`` registers its
blueprints directly on the app and everything else here: outbox kinds, inbound SMS handlers
for the numbers it owns, IVR node types, periodic jobs, demo data and retention rules. The
core then calls what was registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.core.models import OutboundMessage, OutboxMessage
    from hotline.core.sms import InboundSms

#: ``(session, message) -> result text``; raises :class:`TelephonyError` to retry.
OutboxHandler = Callable[["Session", "OutboxMessage"], str]
#: ``(session, sms) -> reply text or None``.
SmsHandler = Callable[["Session", "InboundSms"], "str | None"]
#: ``(session, number texted) -> whether this handler owns that number``.
SmsOwner = Callable[["Session", str], bool]
#: ``(session, now) -> what was done, in words``; demo loaders and retention rules.
SessionTask = Callable[["Session", dt.datetime], str]
#: ``(session, message, now) -> None`` to send it now, a reason (str) to skip it for good, or
#: a time to send it at instead (quiet hours); runs just before the provider is called.
MessageCheck = Callable[["Session", "OutboundMessage", dt.datetime], "str | dt.datetime | None"]
#: ``(session, message) -> None``: the message failed for good (its ``error_code`` says why).
MessageFailed = Callable[["Session", "OutboundMessage"], None]


@dataclass(frozen=True)
class SmsRoute:
    """Inbound texts to a number ``owns`` says yes to go to ``handler``."""

    name: str
    owns: SmsOwner
    handler: SmsHandler


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler enqueues every ``interval`` (``func`` takes no arguments)."""

    name: str
    func: Callable[[], Any]
    interval: dt.timedelta
    #: Priority queue it runs on (see :mod:`hotline.core.queues`).
    queue: str = "default"


@dataclass(frozen=True)
class MessageKind:
    """What a feature wants done around the texts and calls of one kind it queues."""

    name: str
    check: MessageCheck | None = None
    on_failed: MessageFailed | None = None


@dataclass
class Registry:
    outbox_handlers: dict[str, OutboxHandler] = field(default_factory=dict)
    #: Priority queue each outbox kind's job runs on (default: ``default``).
    outbox_priorities: dict[str, str] = field(default_factory=dict)
    #: Hooks of the outbound message kinds (see :mod:`hotline.core.messaging`).
    message_kinds: dict[str, MessageKind] = field(default_factory=dict)
    sms_routes: list[SmsRoute] = field(default_factory=list)
    ivr_nodes: dict[str, Callable[..., Any]] = field(default_factory=dict)
    periodic_jobs: dict[str, PeriodicJob] = field(default_factory=dict)
    #: ``(name, loader, creates sign-ins)``; sign-ins have a published password.
    demo_loaders: list[tuple[str, SessionTask, bool]] = field(default_factory=list)
    retention_rules: list[tuple[str, SessionTask]] = field(default_factory=list)
    #: ``(session, phone, opted_out) -> None``: a number opted out of (or back into) every
    #: text; each feature that texts people updates its own records.
    opt_out_hooks: list[Callable[[Session, str, bool], None]] = field(default_factory=list)
    #: The voice hotline's implementation of :class:`hotline.core.ivr.CallFlows`.
    call_flows: Any = None
    #: Sign-in banner lines for ``scripts/run`` (``(username, what they may do)``).
    demo_sign_ins: list[tuple[str, str]] = field(default_factory=list)

    # -- registration -----------------------------------------------------------------------

    def outbox_kind(self, kind: str, handler: OutboxHandler, priority: str = "default") -> None:
        if kind in self.outbox_handlers:
            raise ValueError(f"outbox kind {kind!r} registered twice")
        self.outbox_handlers[kind] = handler
        self.outbox_priorities[kind] = priority

    def message_kind(
        self,
        kind: str,
        check: MessageCheck | None = None,
        on_failed: MessageFailed | None = None,
    ) -> None:
        """Hooks for outbound messages of ``kind``; a kind nobody registers is just sent."""
        if kind in self.message_kinds:
            raise ValueError(f"message kind {kind!r} registered twice")
        self.message_kinds[kind] = MessageKind(kind, check, on_failed)

    def sms_route(self, name: str, owns: SmsOwner, handler: SmsHandler) -> None:
        self.sms_routes.append(SmsRoute(name, owns, handler))

    def ivr_node(self, node_type: str, handler: Callable[..., Any]) -> None:
        self.ivr_nodes[node_type] = handler

    def periodic(
        self,
        name: str,
        func: Callable[[], Any],
        interval: dt.timedelta,
        queue: str = "default",
    ) -> None:
        self.periodic_jobs[name] = PeriodicJob(name, func, interval, queue)

    def demo(self, name: str, loader: SessionTask, sign_ins: bool = False) -> None:
        self.demo_loaders.append((name, loader, sign_ins))

    def retention(self, name: str, rule: SessionTask) -> None:
        self.retention_rules.append((name, rule))

    def on_opt_out(self, hook: Callable[[Session, str, bool], None]) -> None:
        self.opt_out_hooks.append(hook)


def init_registry(app: Flask) -> Registry:
    registry = Registry()
    app.extensions["rufbereit.registry"] = registry
    return registry


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (default: the current app)."""
    return (app or current_app).extensions["rufbereit.registry"]
