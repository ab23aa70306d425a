"""Operators' escalation keywords, texted to their line's number during a call.

``HILFE`` / ``ESCALATE`` adds another operator on shift who is free; ``HILFE KOORDINATION`` /
``ESCALATE COORDINATOR`` the line's coordination; ``HILFE 112`` / ``ESCALATE 112`` the
emergency number, where the line allows it (:mod:`hotline.voice.escalation`). The reply is
in the keyword's language: whom is being called, or why not.

Only these keywords are this route's (:func:`understands`): any other word is left to the
other routes of the line's number (the rosters answer it with their help text), and a
sender who is not an operator is left to them too.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.i18n import N_, text_in
from hotline.core.models import utcnow
from hotline.core.oncall.models import Operator
from hotline.core.sms import InboundSms
from hotline.voice.escalation import Escalation, Refusal, escalate, live_call
from hotline.voice.models import EscalationTarget
from hotline.voice.operator_sms import is_line_number, line_for  # noqa: F401 - the route owns line numbers

KEYWORDS = {"HILFE": "de", "ESCALATE": "en"}
#: Second words choosing whom to add (the default: another operator).
TARGET_WORDS = {
    "KOORDINATION": EscalationTarget.COORDINATOR,
    "KOORDINATOR": EscalationTarget.COORDINATOR,
    "KOORDINATORIN": EscalationTarget.COORDINATOR,
    "COORDINATOR": EscalationTarget.COORDINATOR,
    "COORDINATION": EscalationTarget.COORDINATOR,
    "112": EscalationTarget.EMERGENCY,
    "NOTRUF": EscalationTarget.EMERGENCY,
    "EMERGENCY": EscalationTarget.EMERGENCY,
}

#: The escalation keywords, for the operators' help text.
ESCALATION_HELP = N_("Im Gespräch: HILFE (Verstärkung), HILFE KOORDINATION, HILFE 112.")
#: Replies, by what was done or why not; read in the keyword's language.
TEXTS: dict[object, str] = {
    EscalationTarget.OPERATOR: N_(
        "Verstärkung kommt: {count} Kolleg*in(nen) werden angerufen "
        "und kommen nach Drücken der 1 in Ihr Gespräch."
    ),
    EscalationTarget.COORDINATOR: N_(
        "Die Koordination wird angerufen und kommt nach Drücken der 1 in Ihr Gespräch."
    ),
    EscalationTarget.EMERGENCY: N_("Der Notruf wird angerufen und in Ihr Gespräch geschaltet."),
    Refusal.NO_LIVE_CALL: N_(
        "Sie haben gerade kein laufendes Gespräch, in das jemand dazukommen kann."
    ),
    Refusal.NOBODY_FREE: N_(
        "Gerade ist niemand sonst im Dienst frei. Versuchen Sie HILFE KOORDINATION."
    ),
    Refusal.NO_COORDINATOR: N_(
        "Für diese Hotline ist keine Koordination mit Telefonnummer eingetragen."
    ),
    Refusal.EMERGENCY_NOT_ALLOWED: N_(
        "Diese Hotline darf den Notruf nicht dazuschalten. Bitte wählen Sie selbst 112."
    ),
    "no_line": N_("Bitte schreiben Sie an die Nummer Ihrer Hotline."),
}


def understands(keyword: str) -> bool:
    return keyword in KEYWORDS


def target_of(words: list[str]) -> EscalationTarget:
    """Whom the text asks for: the second word, else another operator."""
    if len(words) > 1:
        return TARGET_WORDS.get(words[1].upper().strip(".,!?"), EscalationTarget.OPERATOR)
    return EscalationTarget.OPERATOR


def reply_for(result: Escalation, language: str) -> str:
    if result.refused is not None:
        return text_in(language, TEXTS[result.refused])
    return text_in(language, TEXTS[result.target], count=len(result.numbers))


def handle_escalation_sms(session: Session, sms: InboundSms) -> str | None:
    """``HILFE`` and friends from an operator; None for anyone else or any other word."""
    language = KEYWORDS.get(sms.keyword)
    if language is None:
        return None
    operator = session.scalar(select(Operator).where(Operator.phone_number == sms.sender))
    if operator is None:
        return None
    line = line_for(session, sms.to)
    if line is None:
        return text_in(language, TEXTS["no_line"])
    now = utcnow()
    call = live_call(session, operator.id, now, line.id)
    result = escalate(session, call.id if call else None, operator.id, target_of(sms.words), now)
    return reply_for(result, language)
