"""The intake's questions as TwiML: each one a ``<Gather>`` posting to its step's webhook
(with the attempt number), followed by a redirect to the same step marked ``empty`` for a
caller who says and presses nothing."""

from __future__ import annotations

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from dispatch import texts
from dispatch.intake.drafts import SPOKEN_WHEN
from dispatch.models import IntakeDraft
from dispatch.postcodes import Place
from ivr_flows.messages import DEFAULT_VOICES

#: Longest spoken message a caller may leave for the helpers, in seconds.
MESSAGE_MAX_SECONDS = 60


def spoken_language(draft: IntakeDraft) -> str:
    """The language the intake speaks to the caller: the one they chose in the flow's
    language menu once its catalogue has every dispatch text, else German, so a prompt and
    the voice reading it are always one language."""
    return texts.language_for([draft.language])


def voice(draft: IntakeDraft, key: str, **values: object) -> str:
    """The prompt ``key`` in the caller's language."""
    return texts.voice(key, spoken_language(draft), **values)


def say(target, draft: IntakeDraft, text: str) -> None:  # noqa: ANN001 - a response or a gather
    """Say ``text`` in the caller's language and voice."""
    locale, voice_ = DEFAULT_VOICES.get(spoken_language(draft), DEFAULT_VOICES["de"])
    target.say(text, language=locale, voice=voice_)


def ask(
    draft: IntakeDraft,
    endpoint: str,
    prompt: str,
    attempt: int,
    preface: str | None = None,
    response: VoiceResponse | None = None,
    **gather: object,
) -> VoiceResponse:
    response = response or VoiceResponse()
    options = {"input": "dtmf", "num_digits": 1, "timeout": 8, **gather}
    g_ = response.gather(action=url_for(endpoint, a=attempt), **options)
    if preface:
        say(g_, draft, preface)
    say(g_, draft, prompt)
    response.redirect(url_for(endpoint, a=attempt, empty=1))
    return response


def ask_kind(
    draft: IntakeDraft,
    attempt: int = 1,
    preface: str | None = None,
    response: VoiceResponse | None = None,
) -> VoiceResponse:
    return ask(draft, "intake.kind", voice(draft, "kind"), attempt, preface, response)


def ask_postcode(draft: IntakeDraft, attempt: int = 1, preface: str | None = None) -> VoiceResponse:
    return ask(
        draft,
        "intake.postcode",
        voice(draft, "postcode"),
        attempt,
        preface,
        num_digits=5,
        timeout=10,
    )


def ask_postcode_confirm(
    draft: IntakeDraft, place: Place, attempt: int = 1, preface: str | None = None
) -> VoiceResponse:
    """Read the code back digit by digit with its place: 1 is right, 2 is wrong."""
    prompt = voice(
        draft,
        "postcode_confirm",
        digits=texts.digits_spoken(place.postal_code),
        place=place.name,
    )
    return ask(draft, "intake.postcode_confirm", prompt, attempt, preface)


def ask_when(draft: IntakeDraft, attempt: int = 1, preface: str | None = None) -> VoiceResponse:
    """By key or by saying it ("morgen", "this week")."""
    language = spoken_language(draft)
    words = SPOKEN_WHEN.get(language, SPOKEN_WHEN["de"])
    locale, _ = DEFAULT_VOICES.get(language, DEFAULT_VOICES["de"])
    return ask(
        draft,
        "intake.when",
        voice(draft, "when"),
        attempt,
        preface,
        input="dtmf speech",
        language=locale,
        speech_timeout="auto",
        hints=", ".join(w for w, _ in words),
    )


def ask_callback(draft: IntakeDraft, attempt: int = 1, preface: str | None = None) -> VoiceResponse:
    """Offer the caller ID as callback number, or ask for one when it was withheld."""
    if not draft.caller_number:
        return ask_callback_number(draft, attempt, preface)
    prompt = voice(draft, "callback_confirm", digits=texts.digits_spoken(draft.caller_number))
    return ask(draft, "intake.callback", prompt, attempt, preface)


def ask_callback_number(
    draft: IntakeDraft, attempt: int = 1, preface: str | None = None
) -> VoiceResponse:
    return ask(
        draft,
        "intake.callback_enter",
        voice(draft, "callback_enter"),
        attempt,
        preface,
        num_digits=None,
        finish_on_key="#",
        timeout=15,
    )


def ask_message(draft: IntakeDraft, attempt: int = 1, preface: str | None = None) -> VoiceResponse:
    return ask(draft, "intake.message", voice(draft, "message_offer"), attempt, preface)


def record_message(draft: IntakeDraft) -> VoiceResponse:
    """Record after the beep; the recording (or silence) goes on to ``finish``."""
    response = VoiceResponse()
    say(response, draft, voice(draft, "message_record"))
    response.record(
        action=url_for("intake.finish"),
        max_length=MESSAGE_MAX_SECONDS,
        finish_on_key="#",
        play_beep=True,
        timeout=5,
    )
    response.redirect(url_for("intake.finish"))
    return response


def reference_and_goodbye(draft: IntakeDraft, reference: str) -> VoiceResponse:
    """The ticket's reference, digit by digit, then hang up."""
    response = VoiceResponse()
    say(response, draft, voice(draft, "done", digits=texts.digits_spoken(reference)))
    response.hangup()
    return response


def notify_filled(reference: str, language: str) -> VoiceResponse:
    """The call that tells a requester on a landline that help has been found."""
    response = VoiceResponse()
    locale, voice = DEFAULT_VOICES.get(language, DEFAULT_VOICES["de"])
    text = texts.voice("notify_filled", language, digits=texts.digits_spoken(reference))
    response.say(text, language=locale, voice=voice)
    response.hangup()
    return response
