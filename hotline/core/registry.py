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

    from hotline.core.models import OutboundMessage, OutboxMessage
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
#: ``(session, message, now) -> None`` to send it now, a reason (str) to skip it for good, or
#: a time to send it at instead (quiet hours); runs just before the provider is called.
MessageCheck = Callable[["Session", "OutboundMessage", dt.datetime], "str | dt.datetime | None"]
#: ``(session, message) -> None``: the message failed for good (its ``error_code`` says why).
MessageFailed = Callable[["Session", "OutboundMessage"], None]
#: ``(session, message, call status)``: an outbound call is over (``completed``, ``busy``,
#: ``no-answer``, ``failed``, ``canceled``), run once per call.
CallEnded = Callable[["Session", "OutboundMessage", str], None]
#: ``(session, user, now) -> HTML markup`` of one panel (rendered with the feature's own
#: template, already escaped), or ``""`` when it has nothing to show.
PanelRender = Callable[["Session", Any, dt.datetime], str]


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


@dataclass(frozen=True)
class NavEntry:
    """A link in every page's navigation, shown to accounts with at least ``min_role``
    (``only_role``: to that role alone). ``label`` is a catalogue msgid, translated when
    shown; ``min_role``/``only_role`` are role names (``"planner"``)."""

    label: str
    endpoint: str
    min_role: str
    only_role: str | None = None
    #: The :class:`NavGroup` it is listed under ("" = on its own, before the groups).
    group: str = ""


@dataclass(frozen=True)
class NavGroup:
    """A heading the navigation folds links under once a role sees more than a handful
    (a coordinator's twenty links in one row are a wall, not a menu)."""

    key: str
    label: str
    order: int = 100


@dataclass(frozen=True)
class MessageKind:
    """What a feature wants done around the texts and calls of one kind it queues."""

    name: str
    check: MessageCheck | None = None
    on_failed: MessageFailed | None = None
    #: For calls: the provider reported the call's final status.
    on_call_ended: CallEnded | None = None


@dataclass(frozen=True)
class Panel:
    """A box on a page that spans features (the Today page, the operator's phone home).

    ``place`` names the page (``"today"``, ``"operator_home"``), ``name`` is unique per place
    and part of the panel's own address (the page reloads each panel by itself every
    ``refresh_seconds``; 0: never), ``title`` a catalogue msgid, ``order`` sorts panels.
    Shown to accounts with at least ``min_role`` (``only_role``: that role alone).
    """

    place: str
    name: str
    title: str
    render: PanelRender
    min_role: str
    only_role: str | None = None
    order: int = 100
    refresh_seconds: int = 0


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
    #: :class:`hotline.core.retention.RetentionRule` per kind of personal data.
    retention_rules: list[Any] = field(default_factory=list)
    #: :class:`hotline.core.retention.PersonalData` per feature: export and erase by number.
    personal_data: list[Any] = field(default_factory=list)
    #: A number opted out of (or back into) every text; each feature that texts people
    #: updates its own records.
    opt_out_hooks: list[OptOutHook] = field(default_factory=list)
    #: An e-mail address unsubscribed (one-click link, mailto); ``hook(session, address,
    #: True)``, so a feature can honour it like a STOP (:mod:`hotline.core.mail.addresses`).
    mail_opt_out_hooks: list[OptOutHook] = field(default_factory=list)
    #: The voice hotline's implementation of :class:`hotline.core.ivr.CallFlows`.
    call_flows: Any = None
    #: Calls a line received, for staffing from demand (:data:`hotline.core.demand.CallHistory`);
    #: the voice hotline provides it, ``None`` without one.
    demand_source: Any = None
    #: The voice hotline's implementation of :class:`hotline.core.blocks.CallHistory`.
    call_history: Any = None
    #: Sign-in banner lines for ``scripts/run`` (``(username, what they may do)``).
    demo_sign_ins: list[tuple[str, str]] = field(default_factory=list)
    #: Navigation links of every page, in registration order (see :meth:`nav`).
    nav_entries: list[NavEntry] = field(default_factory=list)
    nav_groups: dict[str, NavGroup] = field(default_factory=dict)
    #: Where ``/`` sends each role (role name → endpoint); see :meth:`home`.
    home_endpoints: dict[str, str] = field(default_factory=dict)
    #: The sign-in, sign-out and language-switch endpoints the layout links to.
    account_endpoints: dict[str, str] = field(default_factory=dict)
    #: Help lines other features add to the operators' SMS help, as catalogue msgids.
    operator_sms_help: list[str] = field(default_factory=list)
    #: Panels of the pages that span features, per place (see :meth:`panel`).
    panels: dict[str, list[Panel]] = field(default_factory=dict)

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
        on_call_ended: CallEnded | None = None,
    ) -> None:
        """Hooks for outbound messages of ``kind``; a kind nobody registers is just sent.
        ``on_call_ended`` runs once when a call of this kind is over, whatever its end
        (answered and hung up, busy, not answered, failed)."""
        if kind in self.message_kinds:
            raise ValueError(f"message kind {kind!r} registered twice")
        self.message_kinds[kind] = MessageKind(kind, check, on_failed, on_call_ended)

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

    def retention(self, rule: Any) -> None:
        """Declare one kind of personal data and its retention (a ``RetentionRule``)."""
        if any(r.name == rule.name for r in self.retention_rules):
            raise ValueError(f"retention rule {rule.name!r} registered twice")
        self.retention_rules.append(rule)

    def personal(self, kind: Any) -> None:
        """How a feature exports and erases one person's data (a ``PersonalData``)."""
        self.personal_data.append(kind)

    def nav(
        self,
        label: str,
        endpoint: str,
        min_role: str,
        only_role: str | None = None,
        group: str = "",
    ) -> None:
        """A navigation link for accounts with at least ``min_role`` (or only ``only_role``):
        the layout spans every feature, so each feature names the pages it adds, and the
        ``group`` (a :meth:`nav_group` key, any feature's) it belongs under."""
        self.nav_entries.append(NavEntry(label, endpoint, min_role, only_role, group))

    def nav_group(self, key: str, label: str, order: int = 100) -> None:
        """A navigation heading (``label`` a catalogue msgid); groups are shown by ``order``."""
        self.nav_groups[key] = NavGroup(key, label, order)

    def home(self, role: str, endpoint: str) -> None:
        """``/`` leads accounts of ``role`` to ``endpoint`` (the last registration wins)."""
        self.home_endpoints[role] = endpoint

    def account_pages(self, sign_in: str, sign_out: str, language: str) -> None:
        """The endpoints of the sign-in page, the sign-out form and the language switch."""
        self.account_endpoints.update(sign_in=sign_in, sign_out=sign_out, language=language)

    def panel(
        self,
        place: str,
        name: str,
        title: str,
        render: PanelRender,
        min_role: str,
        only_role: str | None = None,
        order: int = 100,
        refresh_seconds: int = 0,
    ) -> None:
        """A panel on the page ``place`` (``"today"``, ``"operator_home"``): pages that span
        features show what each feature registered, so the page knows no feature."""
        panels = self.panels.setdefault(place, [])
        if any(p.name == name for p in panels):
            raise ValueError(f"panel {place}/{name} registered twice")
        panels.append(
            Panel(place, name, title, render, min_role, only_role, order, refresh_seconds)
        )
        panels.sort(key=lambda p: (p.order, p.name))

    def panels_for(self, place: str, role: str) -> list[Panel]:
        """The panels of ``place`` an account of ``role`` may see, in order."""
        from hotline.core.models import Role

        mine = Role(role)
        return [
            p
            for p in self.panels.get(place, [])
            if (mine == Role(p.only_role) if p.only_role else mine.at_least(Role(p.min_role)))
        ]

    def operator_help(self, text: str) -> None:
        """Keywords a feature acts on for operators texting their line's number, as a
        catalogue msgid (the German text, translated for each operator): the one help text
        an unknown word gets names them too, whichever feature answers it."""
        self.operator_sms_help.append(text)

    def on_opt_out(self, hook: OptOutHook) -> None:
        """``hook(session, phone, opted_out)`` runs whenever a number opts out (``True``) or
        back in (``False``), in the same transaction, so the feature's records agree with
        the core list."""
        self.opt_out_hooks.append(hook)

    def on_mail_opt_out(self, hook: OptOutHook) -> None:
        """``hook(session, address, opted_out)`` runs whenever an e-mail address is
        unsubscribed, in the same transaction (addresses are lower-cased)."""
        self.mail_opt_out_hooks.append(hook)


def init_registry(app: Flask) -> Registry:
    registry = Registry()
    app.extensions["rufbereit.registry"] = registry
    return registry


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (default: the current app)."""
    return (app or current_app).extensions["rufbereit.registry"]
