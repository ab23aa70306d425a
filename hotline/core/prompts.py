"""The IVR's system prompts (:data:`ivr_flows.messages.MESSAGES`) in the caller's language.

A flow's own wording under ``messages:`` comes first, then the catalogues' translation of
the built-in prompt. Each is looked for in the caller's language, then the flow's default
language, then English, so a caller whose language neither has hears the flow's own words
before a foreign one; German, the msgid, is there for every prompt.
"""

from __future__ import annotations

from hotline.core.catalogues import has_text, text_in
from ivr_flows.messages import MESSAGES


def message(
    key: str,
    language: str,
    overrides: dict[str, dict[str, str]] | None = None,
    fallback_language: str = "de",
    **values: object,
) -> str:
    """The text of system message ``key`` in ``language``, falling back sensibly."""
    codes = (language, fallback_language, "en")
    override = (overrides or {}).get(key, {})
    for code in codes:
        if code in override:
            return override[code].format(**values)
    msgid = MESSAGES[key]
    for code in codes:
        if code == "de" or has_text(code, msgid):
            return text_in(code, msgid, **values)
    return msgid.format(**values)
