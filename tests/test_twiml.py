"""TwiML is written exactly as twilio's builders would write it, only faster."""

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.core import twiml as twiml_text


def _render(document) -> str:  # noqa: ANN001
    """The module's writer itself, not conftest's checking wrapper around ``render``."""
    out = [twiml_text.DECLARATION]
    twiml_text._write(document, out)
    return "".join(out)


def test_an_empty_response_is_a_short_element():
    assert _render(VoiceResponse()) == str(VoiceResponse())


def test_text_is_escaped_and_kept_in_any_script():
    response = VoiceResponse()
    response.say('Grüße & <Tschüss> "bis bald"\n\tمرحبا Привіт', language="de-DE")
    assert _render(response) == str(response)


def test_attributes_are_sorted_escaped_and_booleans_lowercase():
    response = VoiceResponse()
    dial = response.dial(
        action='/d?r=1&ops=1,2"x"\n', answer_on_bridge=True, caller_id="+4930120000", timeout=20
    )
    dial.number("+4915100000001", url="/s?call=CA1&op=2&r=1", send_digits="\t1\r")
    response.record(play_beep=False, max_length=120)
    assert _render(response) == str(response)


def test_nested_verbs_and_empty_elements():
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action="/a", input="dtmf speech", hints="ja, nein")
    gather.say("Drücken Sie die 1.")
    gather.pause(length=1)
    response.enqueue("line-1", wait_url="/w")
    response.hangup()
    assert _render(response) == str(response)


def test_plain_strings_become_text_and_tails_as_twilio_places_them():
    response = VoiceResponse()
    response.append("before")
    response.append("replaces before")
    response.say("x")
    response.append("tail")
    response.append("replaces tail")
    assert _render(response) == str(response)


def test_generic_children_with_dict_values():
    response = VoiceResponse()
    response.add_child("Custom", {"key": "wert & mehr"}, some_attr="1")
    assert _render(response) == str(response)


def test_messaging_responses_too():
    response = MessagingResponse()
    response.message("Danke & tschüss <3")
    assert _render(response) == str(response)
