"""Texts of the page forms, in the language of the request that shows them.

WTForms classes are built once, at import, while the language is the request's: a form's
labels and messages are :class:`Text` (a German msgid translated when shown), and WTForms'
own messages come from its bundled catalogue of the page's language
(:data:`page_messages`, a form's ``Meta.get_translations``). Both features' forms use
these, so a form check reads the same in the rosters and in dispatch.
"""

from __future__ import annotations

from typing import Any

from wtforms.i18n import get_translations

from hotline.core.i18n import current_language, gettext


class Text:
    """A German msgid translated when it is shown. WTForms fills in ``%(min)s``-style
    values with ``%``."""

    __slots__ = ("source", "values")

    def __init__(self, source: str, **values: object) -> None:
        self.source = source
        self.values = values

    def __str__(self) -> str:
        return gettext(self.source, **self.values)

    def __mod__(self, values: dict[str, Any]) -> str:
        return str(self) % values


#: WTForms' own messages that its German catalogue lacks or says awkwardly.
GERMAN_WTFORMS = {
    "Not a valid integer value.": "Bitte eine ganze Zahl angeben.",
    "Not a valid float value.": "Bitte eine Zahl angeben.",
    "Not a valid datetime value.": "Bitte Datum und Uhrzeit angeben.",
    "Not a valid choice.": "Bitte eine der angebotenen Möglichkeiten wählen.",
    "'%(value)s' is not a valid choice for this field.": "„%(value)s“ steht nicht zur Wahl.",
    "'%(value)s' are not valid choices for this field.": "„%(value)s“ stehen nicht zur Wahl.",
}


class PageMessages:
    """WTForms' built-in messages in the page's language, from its bundled catalogues; in
    German with the few messages it lacks from :data:`GERMAN_WTFORMS`."""

    def _catalogue(self) -> Any:
        return get_translations([current_language()])

    def gettext(self, string: str) -> str:
        if current_language() == "de" and string in GERMAN_WTFORMS:
            return GERMAN_WTFORMS[string]
        return self._catalogue().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        chosen = singular if n == 1 else plural
        if current_language() == "de" and chosen in GERMAN_WTFORMS:
            return GERMAN_WTFORMS[chosen]
        return self._catalogue().ngettext(singular, plural, n)


page_messages = PageMessages()
