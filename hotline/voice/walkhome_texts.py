"""What the walk-home features text and say to operators, in the operator's language.

Each text is its German wording, the msgid of the gettext catalogues; :func:`text` and
:func:`spoken` read it in the operator's language through :func:`text_in`. Which language an
operator gets (:func:`operator_language`): the first of their languages whose catalogue
translates every text here, else German (all six catalogues are complete; a language
lacking one of these texts is passed over). A text and the voice speaking it are always
one language.

SMS keywords are German and English words (``RÜCKRUF``/``CALLBACK``,
``ANGEKOMMEN``/``ARRIVED``, ``NOTIZ``/``NOTE``), like the rosters' ``AN``/``ON``; they are
words operators type, not texts, and stay as they are, as do the category words.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.core.i18n import N_, first_translated, text_in
from hotline.core.oncall.models import Operator
from hotline.voice.models import NoteCategory
from ivr_flows.messages import DEFAULT_VOICES

#: The words a note's category is written with in a text, per language of the keywords
#: (operators of other languages type and read the German ones).
CATEGORY_WORDS: dict[str, dict[NoteCategory, str]] = {
    "de": {
        NoteCategory.WALK_HOME: "HEIMWEG",
        NoteCategory.TALK: "GESPRAECH",
        NoteCategory.INFO: "INFO",
        NoteCategory.CRISIS: "KRISE",
        NoteCategory.TECHNICAL: "TECHNIK",
        NoteCategory.OTHER: "SONSTIGES",
    },
    "en": {
        NoteCategory.WALK_HOME: "WALK",
        NoteCategory.TALK: "TALK",
        NoteCategory.INFO: "INFO",
        NoteCategory.CRISIS: "CRISIS",
        NoteCategory.TECHNICAL: "TECH",
        NoteCategory.OTHER: "OTHER",
    },
}


def category_words(lang: str) -> dict[NoteCategory, str]:
    """The category words shown to an operator texting in ``lang`` (German but for English)."""
    return CATEGORY_WORDS.get(lang, CATEGORY_WORDS["de"])


TEXTS: dict[str, str] = {
    # after a call
    "dropped": N_(
        "{line}: Der Anruf ist beendet, bevor ANGEKOMMEN vermerkt war. Ist die Person "
        "angekommen? Antworten Sie ANGEKOMMEN. Zurückrufen über die Linie: RÜCKRUF. "
        "Notiz: NOTIZ <Kategorie> <Text>."
    ),
    "post_call": N_(
        "{line}: Anruf beendet. Notiz dazu: NOTIZ <Kategorie> <Text> (Kategorien: {categories})."
    ),
    # call-back
    "callback_queued": N_(
        "Wir rufen Sie jetzt an und verbinden Sie dann mit der Person Ihres "
        "letzten Anrufs. Beide sehen die Nummer der Linie."
    ),
    "no_recent_call": N_("Rückruf nicht möglich: Sie hatten keinen Anruf."),
    "not_latest": N_("Rückruf nicht möglich: Zurückrufen geht nur beim letzten Anruf."),
    "not_your_call": N_(
        "Rückruf nicht möglich: Das ist nicht Ihr Anruf (oder die Person hat "
        "inzwischen mit jemand anderem gesprochen)."
    ),
    "not_on_line": N_(
        "Rückruf nicht möglich: Ihr letzter Anruf kam über eine andere Linie. "
        "Bitte schreiben Sie an deren Nummer."
    ),
    "in_progress": N_(
        "Rückruf nicht möglich: Der Anruf läuft noch, oder ein Rückruf ist schon unterwegs."
    ),
    "window_over": N_("Rückruf nicht möglich: Der Anruf ist länger als {minutes} Minuten her."),
    "not_retained": N_("Rückruf nicht möglich: Die Nummer ist nicht mehr gespeichert."),
    "withheld": N_("Rückruf nicht möglich: Die Nummer war unterdrückt."),
    "caller_blocked": N_("Rückruf nicht möglich: Die Person ist auf dieser Linie gesperrt."),
    "paused": N_("Rückruf nicht möglich: Ihr Profil ist pausiert."),
    # arrived
    "arrived": N_("Danke! Vermerkt: Die Person ist angekommen."),
    "arrived_already": N_("Ist schon vermerkt: Die Person ist angekommen."),
    "arrived_kept": N_(
        "Danke, vermerkt. Der Anruf bleibt als \u201eabgebrochen und wieder "
        "verbunden\u201c gezählt."
    ),
    "no_accompaniment": N_(
        "Kein begleiteter Anruf gefunden, den Sie als angekommen markieren können."
    ),
    # notes
    "note_saved": N_("Danke, Notiz gespeichert ({category})."),
    "note_usage": N_(
        "So schreiben Sie eine Notiz: NOTIZ <Kategorie> <Text>. Kategorien: {categories}."
    ),
    "note_too_long": N_(
        "Die Notiz ist zu lang ({length} Zeichen); höchstens {limit}. Bitte "
        "kürzer noch einmal senden."
    ),
    "note_no_call": N_("Kein Anruf gefunden, zu dem Sie eine Notiz schreiben können."),
    "help": N_(
        "Nach Anrufen: RÜCKRUF (letzte Person zurückrufen), ANGEKOMMEN (Person ist "
        "angekommen), NOTIZ <Kategorie> <Text>."
    ),
}

#: Spoken to the operator on a call-back and when they call the line themselves.
SPOKEN: dict[str, str] = {
    "offer": N_(
        "Sie haben vor Kurzem einen Anruf angenommen. Um die Person zurückzurufen, "
        "drücken Sie die 1. Sonst bleiben Sie bitte dran."
    ),
    "screen": N_(
        "Rückruf über {line}. Drücken Sie die 1, um mit der Person Ihres letzten "
        "Anrufs verbunden zu werden."
    ),
    "connecting": N_("Wir verbinden Sie jetzt. Die Person sieht die Nummer der Linie."),
    "refused": N_("Ein Rückruf ist gerade nicht möglich."),
    "no_answer": N_(
        "Die Person hat nicht abgenommen. Sie können es später mit RÜCKRUF noch einmal versuchen."
    ),
    "arrived_prompt": N_("Ist die Person angekommen? Dann drücken Sie die 9."),
    "arrived": N_("Danke, vermerkt."),
    "bye": N_("Danke. Auf Wiederhören."),
}

#: Spoken to the caller when the call-back reaches them, in the language of their call.
CALLER_SPOKEN = N_("Hier ist {line}. Wir verbinden Sie wieder mit Ihrer Begleitung.")


def operator_language(operator: Operator | None) -> str:
    """The first of the operator's languages with every text here translated, else German."""
    languages = operator.languages if operator is not None else ()
    return first_translated(languages, [*TEXTS.values(), *SPOKEN.values()])


def caller_language(language: str | None) -> str:
    """The language the caller is spoken to on a call-back: their call's, once translated."""
    return first_translated([language] if language else [], [CALLER_SPOKEN])


def text(lang: str, key: str, **values: object) -> str:
    categories = ", ".join(category_words(lang).values())
    return text_in(lang, TEXTS[key], categories=categories, **values)


def spoken(lang: str, key: str, **values: object) -> str:
    return text_in(lang, SPOKEN[key], **values)


def say(target: VoiceResponse | Gather, lang: str, text_: str) -> None:
    """Speak ``text_`` to an operator in ``lang`` with that language's voice."""
    locale, voice = DEFAULT_VOICES.get(lang, DEFAULT_VOICES["de"])
    target.say(text_, language=locale, voice=voice)
