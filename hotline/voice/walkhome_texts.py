"""What the walk-home features text and say to operators, in German and English (the
operator's first language of the two; German otherwise).

SMS keywords are German and English words (``RÜCKRUF``/``CALLBACK``,
``ANGEKOMMEN``/``ARRIVED``, ``NOTIZ``/``NOTE``), like the rosters' ``AN``/``ON``.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.core.oncall.models import Operator
from hotline.voice.models import NoteCategory
from ivr_flows.messages import DEFAULT_VOICES

#: The words a note's category is written with in a text, per language.
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


def _categories(lang: str) -> str:
    return ", ".join(CATEGORY_WORDS[lang].values())


TEXTS: dict[str, dict[str, str]] = {
    "de": {
        # after a call
        "dropped": "{line}: Der Anruf ist beendet, bevor ANGEKOMMEN vermerkt war. Ist die Person "
        "angekommen? Antworten Sie ANGEKOMMEN. Zurückrufen über die Linie: RÜCKRUF. "
        "Notiz: NOTIZ <Kategorie> <Text>.",
        "post_call": "{line}: Anruf beendet. Notiz dazu: NOTIZ <Kategorie> <Text> "
        "(Kategorien: " + _categories("de") + ").",
        # call-back
        "callback_queued": "Wir rufen Sie jetzt an und verbinden Sie dann mit der Person Ihres "
        "letzten Anrufs. Beide sehen die Nummer der Linie.",
        "no_recent_call": "Rückruf nicht möglich: Sie hatten keinen Anruf.",
        "not_latest": "Rückruf nicht möglich: Zurückrufen geht nur beim letzten Anruf.",
        "not_your_call": "Rückruf nicht möglich: Das ist nicht Ihr Anruf (oder die Person hat "
        "inzwischen mit jemand anderem gesprochen).",
        "not_on_line": "Rückruf nicht möglich: Ihr letzter Anruf kam über eine andere Linie. "
        "Bitte schreiben Sie an deren Nummer.",
        "in_progress": "Rückruf nicht möglich: Der Anruf läuft noch, oder ein Rückruf ist schon "
        "unterwegs.",
        "window_over": "Rückruf nicht möglich: Der Anruf ist länger als {minutes} Minuten her.",
        "not_retained": "Rückruf nicht möglich: Die Nummer ist nicht mehr gespeichert.",
        "withheld": "Rückruf nicht möglich: Die Nummer war unterdrückt.",
        "caller_blocked": "Rückruf nicht möglich: Die Person ist auf dieser Linie gesperrt.",
        "paused": "Rückruf nicht möglich: Ihr Profil ist pausiert.",
        # arrived
        "arrived": "Danke! Vermerkt: Die Person ist angekommen.",
        "arrived_already": "Ist schon vermerkt: Die Person ist angekommen.",
        "arrived_kept": "Danke, vermerkt. Der Anruf bleibt als \u201eabgebrochen und wieder "
        "verbunden\u201c gezählt.",
        "no_accompaniment": "Kein begleiteter Anruf gefunden, den Sie als angekommen markieren "
        "können.",
        # notes
        "note_saved": "Danke, Notiz gespeichert ({category}).",
        "note_usage": "So schreiben Sie eine Notiz: NOTIZ <Kategorie> <Text>. Kategorien: "
        + _categories("de")
        + ".",
        "note_too_long": "Die Notiz ist zu lang ({length} Zeichen); höchstens {limit}. Bitte "
        "kürzer noch einmal senden.",
        "note_no_call": "Kein Anruf gefunden, zu dem Sie eine Notiz schreiben können.",
        "help": "Nach Anrufen: RÜCKRUF (letzte Person zurückrufen), ANGEKOMMEN (Person ist "
        "angekommen), NOTIZ <Kategorie> <Text>.",
    },
    "en": {
        "dropped": "{line}: The call ended before it was marked ARRIVED. Did the person arrive? "
        "Reply ARRIVED. To call back through the line: CALLBACK. Note: NOTE <category> <text>.",
        "post_call": "{line}: Call ended. To note it: NOTE <category> <text> (categories: "
        + _categories("en")
        + ").",
        "callback_queued": "We are calling you now and will then connect you with the person "
        "of your last call. Both see the line's number.",
        "no_recent_call": "No call-back: you had no call.",
        "not_latest": "No call-back: only your most recent call can be called back.",
        "not_your_call": "No call-back: this is not your call (or the person has spoken to "
        "someone else since).",
        "not_on_line": "No call-back: your last call came in on another line. Please text that "
        "line's number.",
        "in_progress": "No call-back: the call is still going on, or a call-back is already "
        "on its way.",
        "window_over": "No call-back: the call was more than {minutes} minutes ago.",
        "not_retained": "No call-back: the number is no longer kept.",
        "withheld": "No call-back: the number was withheld.",
        "caller_blocked": "No call-back: the person is blocked on this line.",
        "paused": "No call-back: your profile is paused.",
        "arrived": "Thank you! Noted: the person has arrived.",
        "arrived_already": "Already noted: the person has arrived.",
        "arrived_kept": "Thank you, noted. The call stays counted as dropped and reconnected.",
        "no_accompaniment": "No accompanied call found to mark as arrived.",
        "note_saved": "Thank you, note saved ({category}).",
        "note_usage": "To write a note: NOTE <category> <text>. Categories: "
        + _categories("en")
        + ".",
        "note_too_long": "The note is too long ({length} characters); at most {limit}. Please "
        "send it again, shorter.",
        "note_no_call": "No call found to write a note about.",
        "help": "After calls: CALLBACK (call your last caller back), ARRIVED (the person has "
        "arrived), NOTE <category> <text>.",
    },
}

#: Spoken to the operator on a call-back and when they call the line themselves.
SPOKEN: dict[str, dict[str, str]] = {
    "de": {
        "offer": "Sie haben vor Kurzem einen Anruf angenommen. Um die Person zurückzurufen, "
        "drücken Sie die 1. Sonst bleiben Sie bitte dran.",
        "screen": "Rückruf über {line}. Drücken Sie die 1, um mit der Person Ihres letzten "
        "Anrufs verbunden zu werden.",
        "connecting": "Wir verbinden Sie jetzt. Die Person sieht die Nummer der Linie.",
        "refused": "Ein Rückruf ist gerade nicht möglich.",
        "no_answer": "Die Person hat nicht abgenommen. Sie können es später mit RÜCKRUF noch "
        "einmal versuchen.",
        "arrived_prompt": "Ist die Person angekommen? Dann drücken Sie die 9.",
        "arrived": "Danke, vermerkt.",
        "bye": "Danke. Auf Wiederhören.",
    },
    "en": {
        "offer": "You took a call recently. To call that person back, press 1. Otherwise, "
        "please stay on the line.",
        "screen": "Call-back through {line}. Press 1 to be connected with the person of your "
        "last call.",
        "connecting": "Connecting you now. The person sees the line's number.",
        "refused": "A call-back is not possible right now.",
        "no_answer": "The person did not pick up. You can try again later with CALLBACK.",
        "arrived_prompt": "Has the person arrived? Then press 9.",
        "arrived": "Thank you, noted.",
        "bye": "Thank you. Goodbye.",
    },
}

#: Spoken to the caller when the call-back reaches them, in the language of their call.
CALLER_SPOKEN = {
    "de": "Hier ist {line}. Wir verbinden Sie wieder mit Ihrer Begleitung.",
    "en": "This is {line}. We are connecting you with your companion again.",
}


def operator_language(operator: Operator | None) -> str:
    """German or English, whichever the operator speaks first (German by default)."""
    for code in operator.languages if operator is not None else ():
        if code in TEXTS:
            return code
    return "de"


def text(lang: str, key: str, **values: object) -> str:
    return TEXTS.get(lang, TEXTS["de"])[key].format(**values)


def spoken(lang: str, key: str, **values: object) -> str:
    return SPOKEN.get(lang, SPOKEN["de"])[key].format(**values)


def say(target: VoiceResponse | Gather, lang: str, text_: str) -> None:
    """Speak ``text_`` to an operator in ``lang`` with that language's voice."""
    locale, voice = DEFAULT_VOICES.get(lang, DEFAULT_VOICES["de"])
    target.say(text_, language=locale, voice=voice)
