"""What each feature adds to the platform, handed over once at start-up.

The core never imports a feature. A feature's ``init_app(app, registry)`` registers its
blueprints directly on the app and everything else here: outbox kinds, inbound SMS routes
for the numbers it owns (with the keywords each understands), opt-out hooks, IVR node types,
periodic jobs, demo data and retention rules. The core then calls what was registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.core.models import OutboxMessage
    from hotline.core.sms import InboundSms

#: ``(session, message) -> result text``; raises :class:`TelephonyError` to retry.
OutboxHandler = Callable[["Session", "OutboxMessage"], str]
#: ``(session, sms) -> reply text``, ``""`` for no reply, or ``None``: the sender is not
#: someone this route knows, so the next route may answer.
SmsHandler = Callable[["Session", "InboundSms"], "str | None"]
#: ``(session, number texted) -> whether this route answers texts to that number``.
SmsOwner = Callable[["Session", str], bool]
#: ``(keyword) -> whether the route acts on it``; the keyword is the text's first word, upper
#: case, without trailing punctuation (:attr:`InboundSms.keyword`).
SmsKeywords = Callable[[str], bool]
#: ``(session, phone, opted_out) -> None``: a number opted out of (or back into) every text.
OptOutHook = Callable[["Session", str, bool], None]
#: ``(session, now) -> what was done, in words``; demo loaders and retention rules.
SessionTask = Callable[["Session", dt.datetime], str]


def _no_keywords(keyword: str) -> bool:
    return False


@dataclass(frozen=True)
class SmsRoute:
    """Inbound texts to a number ``owns`` says yes to go to ``handler``.

    When several routes own one number (a small organisation with a single number), the
    keywords decide: a route whose ``understands`` accepts the text's keyword is asked first.
    A handler acts only on keywords it understands; for any other word it may only answer
    (with its help text) or pass (``None``). See :mod:`hotline.core.inbound`.
    """

    name: str
    owns: SmsOwner
    handler: SmsHandler
    understands: SmsKeywords = _no_keywords


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler enqueues every ``interval`` (``func`` takes no arguments)."""

    name: str
    func: Callable[[], Any]
    interval: dt.timedelta
    #: Priority queue it runs on (see :mod:`hotline.core.queues`).
    queue: str = "default"


@dataclass
class Registry:
    outbox_handlers: dict[str, OutboxHandler] = field(default_factory=dict)
    sms_routes: list[SmsRoute] = field(default_factory=list)
    ivr_nodes: dict[str, Callable[..., Any]] = field(default_factory=dict)
    periodic_jobs: dict[str, PeriodicJob] = field(default_factory=dict)
    #: ``(name, loader, creates sign-ins)``; sign-ins have a published password.
    demo_loaders: list[tuple[str, SessionTask, bool]] = field(default_factory=list)
    retention_rules: list[tuple[str, SessionTask]] = field(default_factory=list)
    #: A number opted out of (or back into) every text; each feature that texts people
    #: updates its own records.
    opt_out_hooks: list[OptOutHook] = field(default_factory=list)
    #: The voice hotline's implementation of :class:`hotline.core.ivr.CallFlows`.
    call_flows: Any = None
    #: The voice hotline's implementation of :class:`hotline.core.blocks.CallHistory`.
    call_history: Any = None
    #: Sign-in banner lines for ``scripts/run`` (``(username, what they may do)``).
    demo_sign_ins: list[tuple[str, str]] = field(default_factory=list)

    # -- registration -----------------------------------------------------------------------

    def outbox_kind(self, kind: str, handler: OutboxHandler) -> None:
        if kind in self.outbox_handlers:
            raise ValueError(f"outbox kind {kind!r} registered twice")
        self.outbox_handlers[kind] = handler

    def sms_route(
        self,
        name: str,
        owns: SmsOwner,
        handler: SmsHandler,
        understands: SmsKeywords = _no_keywords,
    ) -> None:
        """Texts to the numbers ``owns`` accepts go to ``handler``; ``understands`` names the
        keywords it acts on, so routes can share one number. Opt-out words never reach a
        route: the core handles them first."""
        if any(route.name == name for route in self.sms_routes):
            raise ValueError(f"SMS route {name!r} registered twice")
        self.sms_routes.append(SmsRoute(name, owns, handler, understands))

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

    def on_opt_out(self, hook: OptOutHook) -> None:
        """``hook(session, phone, opted_out)`` runs whenever a number opts out (``True``) or
        back in (``False``), in the same transaction, so the feature's records agree with
        the core list."""
        self.opt_out_hooks.append(hook)


def init_registry(app: Flask) -> Registry:
    registry = Registry()
    app.extensions["rufbereit.registry"] = registry
    return registry


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (default: the current app)."""
    return (app or current_app).extensions["rufbereit.registry"]
