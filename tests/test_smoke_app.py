from tests.conftest import make_line, say_texts


def test_entry_greets_and_offers_language_choice(session, twilio):
    make_line(session)
    session.commit()
    doc = twilio.twiml("/twilio/voice")
    texts = say_texts(doc)
    assert texts[0].startswith("Willkommen beim Heimwegtelefon")
    gather = doc.find("Gather")
    assert gather is not None
    assert gather.get("action") == "/twilio/voice/node/language?a=1"
