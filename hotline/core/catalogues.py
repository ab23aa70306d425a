"""The gettext catalogues read directly, for texts addressed to one person: an SMS, a spoken
prompt, an e-mail, a refusal shown on the command line. Those go out in that person's language,
not the page's, and often from an RQ job with no request or application around.

This module imports nothing of the project, so that every module may use it (the domain errors
in :mod:`hotline.core.errors` included) without an import cycle. The page texts go through
Flask-Babel in :mod:`hotline.core.i18n`, over the same catalogues.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

#: Languages with a catalogue, German first (the msgids are the German texts).
LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@functools.lru_cache(maxsize=len(LANGUAGES) + 1)
def _catalogue(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


def text_in(language: str, msgid: str, **values: object) -> str:
    """``msgid`` in ``language``; a text missing from that catalogue stays German (the
    msgid). ``{name}`` placeholders are filled from ``values``."""
    text = _catalogue(language if language in LANGUAGES else "de").ugettext(msgid)
    return text.format(**values) if values else text


def has_text(language: str, msgid: str) -> bool:
    """Whether ``language``'s catalogue translates ``msgid`` (German translates every text)."""
    catalog = getattr(_catalogue(language), "_catalog", {})
    return bool(catalog.get(msgid))
