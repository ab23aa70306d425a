"""System prompts spoken outside a flow's own nodes; a flow may override any of them under
``messages:``. Placeholders: ``{line}`` (line name), ``{position}`` (place in the queue).

Each prompt is its German text, the msgid of the gettext catalogues
(``hotline/translations/<lang>/LC_MESSAGES/messages.po``), which translate it into every
supported language. This package is the flow format, below the core, so it names the texts
and the voices only; :func:`hotline.core.prompts.message` reads a prompt in the caller's
language (a flow's override first).
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks ``text`` as a catalogue msgid (translated when spoken)."""
    return text


MESSAGES: dict[str, str] = {
    "whisper": N_("Anruf für {line}. Drücken Sie die 1, um den Anruf anzunehmen."),
    "whisper_again": N_(
        "Dieselbe Person ruft noch einmal an. Anruf für {line}. "
        "Drücken Sie die 1, um den Anruf anzunehmen."
    ),
    "blocked": N_("Dieser Anschluss kann {line} zurzeit nicht erreichen. Auf Wiederhören."),
    "whisper_gone": N_("Dieser Anruf wurde bereits angenommen oder beendet. Danke!"),
    "escalation_whisper": N_(
        "Unterstützung gebraucht: ein laufender Anruf auf {line}. "
        "Drücken Sie die 1, um dazuzukommen."
    ),
    "connecting": N_("Einen Moment bitte, wir verbinden Sie."),
    "queue": N_(
        "Gerade sind alle im Gespräch. Sie sind an Position {position}. "
        "Bitte bleiben Sie dran, wir sind gleich für Sie da."
    ),
    "fallback": N_("Wir verbinden Sie mit unserer Vertretung."),
    "voicemail": N_(
        "Leider ist gerade niemand erreichbar. Bitte hinterlassen Sie nach dem Signalton "
        "eine Nachricht mit Ihrer Rückrufnummer. Wir melden uns."
    ),
    "voicemail_thanks": N_("Vielen Dank für Ihre Nachricht. Auf Wiederhören."),
    "unavailable": N_(
        "Leider ist gerade niemand erreichbar. Bitte versuchen Sie es später noch einmal."
    ),
    "no_input": N_("Ich habe leider nichts gehört."),
    "invalid": N_("Das habe ich leider nicht verstanden."),
}

#: Twilio text-to-speech settings for the supported languages; flows may choose others.
DEFAULT_VOICES: dict[str, tuple[str, str]] = {
    "de": ("de-DE", "Polly.Vicki"),
    "en": ("en-GB", "Polly.Amy"),
    "tr": ("tr-TR", "Polly.Filiz"),
    "ar": ("arb", "Polly.Zeina"),
    "uk": ("uk-UA", "Google.uk-UA-Standard-A"),
    "ru": ("ru-RU", "Polly.Tatyana"),
}
