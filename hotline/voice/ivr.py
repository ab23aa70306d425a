"""Runs a flow for one call and renders each step as TwiML.

Nodes that need no caller input (greeting, hours, goto) are chained within one response, so
a caller hears the greeting and the language menu from a single webhook. Ringing and overflow
are decided by :mod:`hotline.routing` and rendered here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.core import clock
from hotline.core.oncall.hours import line_is_open
from hotline.core.oncall.models import Line
from hotline.core.outbox import add_message
from hotline.core.phones import mask
from hotline.core.prompts import message
from hotline.core.registry import registry
from hotline.voice import callers, calls, routing
from hotline.voice.directory import LineInfo
from hotline.voice.models import Call, CallOutcome
from ivr_flows import Flow, Node, NodeType
from ivr_flows.messages import DEFAULT_VOICES

log = logging.getLogger(__name__)

MAX_CHAIN = 50  # nodes per response; the validator forbids input-free loops, this guards anyway
VOICEMAIL_MAX_SECONDS = 120


@dataclass
class CallContext:
    #: The request's session, fetched only when a step needs the database.
    session_factory: Callable[[], Session]
    call: Call
    line: Line | LineInfo
    flow: Flow
    now: dt.datetime
    #: Whom the caller last spoke to on this line (sticky redial); by default read from the
    #: caller memory when the first round is planned.
    redial_to: Callable[[], int | None] | None = None
    #: The caller is an operator whose own call on this line ended within the call-back
    #: window (from the caller memory): the entry offers "press 1 to call back".
    callback_call_id: int | None = None

    @property
    def session(self) -> Session:
        return self.session_factory()

    # -- what node handlers of other features see (hotline.core.ivr.NodeCall) ---------------

    @property
    def call_sid(self) -> str:
        return self.call.call_sid

    @property
    def caller_number(self) -> str | None:
        return self.call.caller_number

    @property
    def line_number(self) -> str:
        return self.line.number

    # -- speech ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.call.language or self.flow.default_language

    def say(self, target: VoiceResponse | Gather, text: str, language: str | None = None) -> None:
        code = language or self.language
        spec = self.flow.languages.get(code)
        locale, voice = (
            (spec.locale, spec.voice) if spec else DEFAULT_VOICES.get(code, ("de-DE", None))
        )
        kwargs = {"language": locale}
        if voice:
            kwargs["voice"] = voice
        target.say(text, **kwargs)

    def msg(self, key: str, **values: object) -> str:
        return message(
            key,
            self.language,
            self.flow.messages,
            self.flow.default_language,
            line=self.line.name,
            **values,
        )

    # -- flow -----------------------------------------------------------------------------

    def run(self, node_id: str, response: VoiceResponse | None = None) -> VoiceResponse:
        """Render from ``node_id`` until a node waits for the caller or ends the flow."""
        response = response or VoiceResponse()
        for _ in range(MAX_CHAIN):
            node = self.flow.node(node_id)
            if node.type in (NodeType.GREETING, NodeType.GOTO):
                if node.say:
                    self.say(response, node.say[self.language])
                node_id = node.next
            elif node.type == NodeType.HOURS:
                is_open = line_is_open(self.line, self.now)
                calls.add_step(self.call, node.id, "open" if is_open else "closed")
                if not is_open:
                    self.call.outcome = CallOutcome.AFTER_HOURS
                node_id = node.open if is_open else node.closed
            elif node.type in (NodeType.LANGUAGE, NodeType.MENU):
                return self.gather(node, attempt=1, response=response)
            elif node.type == NodeType.ROUTE:
                if node.say:
                    self.say(response, node.say[self.language])
                return self.ring(response)
            elif node.type == NodeType.HANGUP:
                if node.say:
                    self.say(response, node.say[self.language])
                response.hangup()
                return response
            else:  # a node type another feature registered (dispatch's intake, …)
                handler = registry().ivr_nodes.get(node.type.value)
                if handler is None:
                    log.error(
                        "flow %s: no handler for %s nodes; ringing", self.flow.name, node.type
                    )
                    return self.ring(response)
                calls.add_step(self.call, node.id, "start")
                return handler(self, node, response)
        log.error("flow %s: more than %d nodes without input; ringing", self.flow.name, MAX_CHAIN)
        return self.ring(response)

    def gather(
        self,
        node: Node,
        attempt: int,
        response: VoiceResponse | None = None,
        preface: str | None = None,
    ) -> VoiceResponse:
        response = response or VoiceResponse()
        action = url_for("voice.node", node=node.id, a=attempt)
        if node.type == NodeType.LANGUAGE:
            hints = [spec.name for spec in self.flow.languages.values() if spec.name]
            locale = self.flow.language(self.flow.default_language).locale
        else:
            hints = [w for o in node.options.values() for w in o.speech.get(self.language, ())]
            locale = self.flow.language(self.language).locale
        gather = response.gather(
            input="dtmf speech" if hints else "dtmf",
            num_digits=1,
            action=action,
            timeout=node.timeout,
            speech_timeout="auto" if hints else None,
            language=locale,
            hints=", ".join(hints) if hints else None,
        )
        if preface:
            self.say(gather, preface)
        if node.type == NodeType.LANGUAGE:
            for code in self.flow.languages:
                self.say(gather, node.say[code], language=code)
        else:
            self.say(gather, node.say[self.language])
        response.redirect(url_for("voice.node", node=node.id, a=attempt, empty=1))
        return response

    def answer(self, node_id: str, attempt: int, digits: str, speech: str) -> VoiceResponse:
        """The caller pressed a key, spoke, or (both empty) let the menu time out."""
        node = self.flow.nodes.get(node_id)
        if node is None or node.type not in (NodeType.LANGUAGE, NodeType.MENU):
            log.warning("input for unknown node %r in flow %s", node_id, self.flow.name)
            return self.run(self.flow.start)
        if node.type == NodeType.LANGUAGE:
            code = node.choices.get(digits) or _match_language(self.flow, speech)
            if code:
                self.call.language = code
                calls.add_step(self.call, node.id, code)
                return self.run(node.next)
        else:
            option = node.options.get(digits) or _match_option(node, self.language, speech)
            if option:
                calls.add_step(self.call, node.id, option.key)
                return self.run(option.next)
        empty = not digits and not speech
        if attempt > node.retries:
            calls.add_step(self.call, node.id, "-")
            fallback_next = node.next if node.type == NodeType.LANGUAGE else node.on_failure
            response = VoiceResponse()
            prompt = _prompt(self, node, empty)
            if node.type == NodeType.MENU and prompt:
                self.say(response, prompt)
            return self.run(fallback_next, response)
        return self.gather(node, attempt + 1, preface=_prompt(self, node, empty))

    # -- ringing and overflow -------------------------------------------------------------

    def ring(self, response: VoiceResponse | None = None) -> VoiceResponse:
        """Ring the next operators, or move on to the next overflow step."""
        response = response or VoiceResponse()
        plan = routing.plan_ring(
            self.session, self.call, self.line, self.now, redial_to=self._redial_to()
        )
        if plan is None:
            return self.overflow(response)
        caller_id = self.line.number
        if self.line.show_caller_number and self.call.caller_number:
            caller_id = self.call.caller_number
        # Which operators this round rang travels in the (signed) callback URLs, so the legs
        # are recorded when Twilio reports back and the entry webhook writes only the call.
        dial = response.dial(
            action=url_for(
                "voice.dial_result", r=plan.round, ops=",".join(str(o.id) for o in plan.operators)
            ),
            answer_on_bridge=True,
            caller_id=caller_id,
            timeout=self.line.ring_timeout,
        )
        # One url_for per round, not per number: this runs on the entry webhook's hot path.
        screen = url_for("voice.screen", call=self.call.call_sid)
        if plan.redial:
            screen += "&again=1"
        for operator in plan.operators:
            dial.number(operator.phone_number, url=f"{screen}&op={operator.id}&r={plan.round}")
        if log.isEnabledFor(logging.INFO):
            log.info(
                "call %s round %d: ringing %s",
                self.call.call_sid,
                plan.round,
                ", ".join(mask(o.phone_number) for o in plan.operators),
            )
        return response

    def _redial_to(self) -> Callable[[], int | None] | None:
        if self.redial_to is not None:
            return self.redial_to
        if self.call.ring_round or not callers.identifiable(self.call.caller_number):
            return None
        window = redial_window()
        return lambda: callers.last_operator(self.line.id, self.call.caller_hash, self.now, window)

    def refuse(self, reason: str) -> VoiceResponse:
        """A blocked or flooding caller: one short message (German, and the flow's own
        language if it has another), no operator rung; the call is recorded as blocked."""
        self.call.outcome = CallOutcome.BLOCKED
        calls.add_step(self.call, "blocked", reason)
        response = VoiceResponse()
        languages = ["de"]
        if self.flow.default_language != "de":
            languages.append(self.flow.default_language)
        for code in languages:
            text = message("blocked", code, self.flow.messages, code, line=self.line.name)
            self.say(response, text, language=code)
        response.hangup()
        return response

    def overflow(self, response: VoiceResponse | None = None) -> VoiceResponse:
        response = response or VoiceResponse()
        step = routing.next_overflow(self.call, self.line)
        if step == routing.Overflow.QUEUE:
            self.call.queued_at = self.now
            add_message(self.session, "queue_callout", {"call_sid": self.call.call_sid, "round": 1})
            response.enqueue(
                routing.queue_name(self.line),
                wait_url=url_for("voice.queue_wait"),
                action=url_for("voice.queue_result"),
            )
            return response
        if step == routing.Overflow.FALLBACK:
            self.call.fallback_at = self.now
            self.say(response, self.msg("fallback"))
            response.dial(
                self.line.fallback_number,
                action=url_for("voice.fallback_result"),
                caller_id=self.line.number,
                timeout=30,
            )
            return response
        self.say(response, self.msg("voicemail"))
        response.record(
            action=url_for("voice.voicemail"),
            max_length=VOICEMAIL_MAX_SECONDS,
            play_beep=True,
            timeout=5,
        )
        self.say(response, self.msg("unavailable"))
        response.hangup()
        return response


def _prompt(ctx: CallContext, node: Node, empty: bool) -> str:
    own = node.no_input if empty else node.invalid
    return own.get(ctx.language) or ctx.msg("no_input" if empty else "invalid")


def _match_language(flow: Flow, speech: str) -> str | None:
    said = speech.lower()
    for code, spec in flow.languages.items():
        if spec.name and spec.name.lower() in said:
            return code
    return None


def _match_option(node: Node, language: str, speech: str):  # noqa: ANN202
    said = speech.lower()
    if not said:
        return None
    for option in node.options.values():
        if any(word in said for word in option.speech.get(language, ())):
            return option
    return None


def redial_window() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["REDIAL_WINDOW_MINUTES"])


class VoiceCallFlows:
    """The voice hotline as IVR host for other features' node types
    (:class:`hotline.core.ivr.CallFlows`)."""

    def add_step(self, session: Session, call_sid: str, node_id: str, value: str) -> None:
        call = calls.call_by_sid(session, call_sid)
        if call is not None:
            calls.add_step(call, node_id, value)

    def resume(
        self,
        session_factory: Callable[[], Session],
        call_sid: str,
        node_id: str,
        response: VoiceResponse,
    ) -> VoiceResponse | None:
        from hotline.core.extensions import flows

        call = calls.call_by_sid(session_factory(), call_sid)
        flow = flows.get(call.line.flow) if call else None
        if call is None or flow is None:
            return None
        context = CallContext(session_factory, call, call.line, flow, clock.now())
        return context.run(node_id, response)
