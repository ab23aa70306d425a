"""The gettext catalogues read directly, for texts addressed to one person: an SMS, a spoken
prompt, an e-mail, a refusal shown on the command line. Those go out in that person's language,
not the page's, and often from an RQ job with no request or application around.

This module imports nothing of the project, so that every module may use it (the domain errors
in :mod:`hotline.core.errors` included) without an import cycle. The page texts go through
Flask-Babel in :mod:`hotline.core.i18n`, over the same catalogues.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
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


def first_translated(languages: Iterable[str], msgids: Iterable[str]) -> str:
    """The first of a person's ``languages`` whose catalogue translates every one of
    ``msgids`` (the texts a feature sends them), else German.

    A language counts only once its catalogue has all of them, so one person never gets an
    SMS half in one language and half in German, nor hears a German text in a Turkish
    voice; a person who also speaks English gets English until their first language is
    translated."""
    wanted = tuple(msgids)
    for code in languages:
        if code == "de":
            return code
        if code in LANGUAGES and _translates_all(has_text, code, wanted):
            return code
    return "de"


@functools.lru_cache(maxsize=256)
def _translates_all(
    lookup: Callable[[str, str], bool], language: str, msgids: tuple[str, ...]
) -> bool:
    """Cached: the catalogues are read once per process, and a wave asks this of every
    helper it texts (10,000 helpers × every dispatch text). Keyed by the ``lookup`` too
    (:func:`has_text`), so a replaced lookup is asked afresh."""
    return all(lookup(language, msgid) for msgid in msgids)
