"""Texts for one person (SMS, spoken, e-mail) come from the same catalogues as the pages."""

from hotline.core.catalogues import has_text, text_in


def test_a_text_is_read_in_the_persons_language_without_a_request():
    assert text_in("en", "Montag") == "Monday"
    assert text_in("de", "Montag") == "Montag"


def test_a_text_missing_from_a_catalogue_stays_german():
    assert text_in("en", "Diesen Text gibt es in keinem Katalog.") == (
        "Diesen Text gibt es in keinem Katalog."
    )
    assert not has_text("en", "Diesen Text gibt es in keinem Katalog.")


def test_an_unknown_language_falls_back_to_german():
    assert text_in("xx", "Montag") == "Montag"


def test_placeholders_are_filled_after_translating():
    assert text_in("de", "{a} und {b}", a="eins", b="zwei") == "eins und zwei"
