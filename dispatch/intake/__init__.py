"""Phone intake: the ``intake`` node of a flow turns a call into a ticket.

Steps, each a signed webhook under ``/twilio/voice/intake/``:

1. ``kind`` — the kind of help, from a keypad menu;
2. ``postcode`` — five digits, checked against the postal code table and read back
   (``postcode/confirm``);
3. ``when`` — today, tomorrow or this week;
4. ``callback`` — confirm the caller ID or key in another number (``callback/enter``);
5. ``message`` — optionally record a short message;
6. ``finish`` — the ticket is stored and the caller hears its reference, digit by digit.

What the caller entered so far lives in an :class:`~dispatch.models.IntakeDraft` row keyed
by CallSid, so a retried webhook repeats a step instead of confusing it. Three wrong or
missing answers in a step hand the call to the node's ``on_failure`` (usually a person). Any
error answers with the fallback TwiML: a caller never hears an application error.

* :mod:`dispatch.intake.drafts` — the domain: the draft, each answer checked and recorded,
  the ticket made from it; no Flask request, no TwiML;
* :mod:`dispatch.intake.prompts` — the questions as TwiML;
* :mod:`dispatch.intake.webhooks` — the blueprint ``intake``: parse Twilio's form, call the
  domain, answer with a prompt, commit once.
"""

from __future__ import annotations

from dispatch.intake.webhooks import begin, bp

__all__ = ["begin", "bp"]
