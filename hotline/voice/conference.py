"""Every answered call is bridged in a conference of its own (``call-<id>``), so an operator
can add a third person while the caller stays on (:mod:`hotline.voice.escalation`).

Ringing and press-1 screening are unchanged: the caller's ``<Dial>`` rings the operators'
``<Number>``s, and each picked-up leg hears the whisper. When an operator presses 1 and wins
the call, their leg is told to wait a moment while it is moved, by a REST update of that leg
(the ``conference_redirect`` outbox job), into the conference. Moving it ends the caller's
``<Dial>``; its action then puts the caller into the same conference. The caller hears
ringing until then (``answerOnBridge``), and while nobody else is in the conference the wait
document says "we are connecting you" — never silence. The caller's leg and the accepting
operator's leg end the conference (``endConferenceOnExit``), exactly as hanging up ended a
direct bridge: a started conference plays nothing, so a caller left alone in it would hear
silence. The person added by an escalation may leave without ending it.

If the move fails for good, the operator's leg runs out of its waiting document and the
``<Dial>`` bridges the two directly, as before conferences: nothing is lost, the call just
cannot be escalated.
"""

from __future__ import annotations

from enum import Enum

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from hotline.voice.models import Call

#: Seconds the accepting operator's leg waits for the move before the ``<Dial>`` bridges the
#: call directly (twice, with "connecting" between): long enough for a slow worker.
MOVE_WAIT_SECONDS = 20


class Role(str, Enum):
    """Who joins the conference: its ending and starting differ."""

    CALLER = "caller"
    OPERATOR = "operator"
    #: The person added by an escalation (operator, coordinator, emergency number).
    THIRD = "third"


def conference_name(call: Call | int) -> str:
    call_id = call if isinstance(call, int) else call.id
    return f"call-{call_id}"


def join(response: VoiceResponse, call: Call, role: Role) -> VoiceResponse:
    """``<Dial><Conference>`` for ``role`` into ``call``'s conference.

    The caller does not start it (``startConferenceOnEnter=false``): alone they hear the wait
    document until an operator is there. The caller's or the accepting operator's hanging up
    ends it for everyone (nobody is left alone in a silent conference); the third person
    starts it too and may leave without ending it. No beeps: the caller should not hear
    people come and go as signals they cannot interpret.
    """
    caller = role == Role.CALLER
    dial = response.dial()
    dial.conference(
        conference_name(call),
        start_conference_on_enter=not caller,
        end_conference_on_exit=role in (Role.CALLER, Role.OPERATOR),
        beep=False,
        wait_url=url_for("voice.conference_wait", call=call.id),
        wait_method="POST",
    )
    return response
