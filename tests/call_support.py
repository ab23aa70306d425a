"""Whole calls and operators' texts for the caller tests, as signed webhooks."""

from __future__ import annotations

import itertools

from tests.conftest import TwilioDriver

LINE_NUMBER = "+4930120000"
_sids = itertools.count(1)


def sid(prefix: str = "CA") -> str:
    return f"{prefix}{next(_sids):032d}"


def caller(app, number: str) -> TwilioDriver:
    """A new call from ``number`` (its own CallSid)."""
    return TwilioDriver(app, call_sid=sid(), caller=number, to=LINE_NUMBER)


def to_route(twilio: TwilioDriver):
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    return twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1")


def talk(app, number: str, operator) -> TwilioDriver:  # noqa: ANN001
    """A whole call from ``number`` that ``operator`` takes, talks through and ends."""
    twilio = caller(app, number)
    dial = to_route(twilio).find("Dial")
    legs = {n.text: n.get("url") for n in dial.findall("Number")}
    screen = twilio.twiml(legs[operator.phone_number], CallSid=sid())
    twilio.twiml(screen.find("Gather").get("action"), Digits="1")
    twilio.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="true")
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="120")
    return twilio


def text(app, sender: str, body: str) -> str:
    doc = TwilioDriver(app).twiml(
        "/twilio/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid("SM")
    )
    return "".join(m.text or "" for m in doc.iter("Message"))
