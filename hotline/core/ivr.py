"""The seam between the IVR runner (the voice hotline) and node types other features add.

A feature registers a node type with :meth:`Registry.ivr_node`; when a flow reaches such a
node the runner calls ``handler(call, node, response)`` with a :class:`NodeCall` and the
TwiML said so far, and answers with what the handler returns. The handler's later webhooks
use :func:`call_flows` to record steps on the call and to hand the call back to the flow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline.core.registry import registry


class NodeCall(Protocol):
    """What a node handler sees of the call that reached it."""

    @property
    def session(self) -> Session: ...

    @property
    def call_sid(self) -> str: ...

    @property
    def caller_number(self) -> str | None: ...

    @property
    def line_number(self) -> str: ...

    @property
    def language(self) -> str: ...


#: ``(call, node, response) -> response``
NodeHandler = Callable[[NodeCall, Any, VoiceResponse], VoiceResponse]


class CallFlows(Protocol):
    """Implemented by the voice hotline, registered as ``registry.call_flows``."""

    def add_step(self, session: Session, call_sid: str, node_id: str, value: str) -> None:
        """Note a step on the call's record (its menu path), if the call is known."""

    def resume(
        self,
        session_factory: Callable[[], Session],
        call_sid: str,
        node_id: str,
        response: VoiceResponse,
    ) -> VoiceResponse | None:
        """Continue the call's flow at ``node_id`` after ``response``; None if the call or
        its flow is unknown (the caller then gets the fallback)."""


def call_flows() -> CallFlows:
    flows = registry().call_flows
    if flows is None:
        raise RuntimeError("no IVR host registered (the voice hotline is not installed)")
    return flows
