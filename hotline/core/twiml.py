"""TwiML documents to text.

Responses are built with twilio's TwiML builders; this only writes them out. twilio's own
``str(response)`` goes through an ElementTree built for the purpose and costs about 0.2 ms
for a typical ringing document, on the voice entry webhook's hot path. :func:`render` writes
the same bytes directly (the test suite checks every document it produces against twilio's
serialisation).
"""

from __future__ import annotations

import json

from twilio.twiml import TwiML

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def render(document: TwiML) -> str:
    """``str(document)``, written without building an ElementTree."""
    out = [DECLARATION]
    _write(document, out)
    return "".join(out)


def _write(node: TwiML, out: list[str]) -> None:
    out.append("<" + node.name)
    for key in sorted(node.attrs):
        value = node.attrs[key]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f' {key}="{_attribute(text)}"')
    value = node.value
    text = (json.dumps(value) if isinstance(value, dict) else value) if value else None
    # As twilio builds its tree: a string after a child is that child's tail, a string
    # before any child replaces the element's text; each replaces the one before.
    children: list[list] = []
    for verb in node.verbs:
        if isinstance(verb, str):
            if children:
                children[-1][1] = verb
            else:
                text = verb
        else:
            children.append([verb, None])
    if not text and not children:
        out.append(" />")
        return
    out.append(">")
    if text:
        out.append(_text(text))
    for child, tail in children:
        _write(child, out)
        if tail:
            out.append(_text(tail))
    out.append(f"</{node.name}>")


def _text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attribute(text: str) -> str:
    text = _text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text
