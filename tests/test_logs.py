import logging

from hotline.core.logs import MaskNumbersFilter


def test_phone_numbers_are_masked_in_log_messages():
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "call from %s to %s",
        ("+4917612345678", "+4930120000"),
        None,
    )
    MaskNumbersFilter().filter(record)
    assert record.getMessage() == "call from +49176******78 to +49301***00"


def test_messages_without_numbers_are_left_alone():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "round %d", (2,), None)
    MaskNumbersFilter().filter(record)
    assert record.getMessage() == "round 2"


def test_console_sms_log_masks_the_requesters_number_in_the_text(caplog):
    from dispatch import texts
    from hotline.core.phones import pretty
    from hotline.core.telephony import ConsoleTelephony

    body = texts.sms(
        "accepted",
        "de",
        code="483920",
        name="Erika",
        phone=pretty("+4915212345678"),
        address="Invalidenstraße 1. ",
    )
    assert "+49 1521 2345678" in body
    with caplog.at_level(logging.INFO, logger="hotline.core.telephony"):
        ConsoleTelephony().send_sms("+4916000000001", "+4915799990000", body)
    [logged] = [r.getMessage() for r in caplog.records if r.name == "hotline.core.telephony"]
    assert "2345678" not in logged and "+49152******78" in logged
    assert "ABSAGE 483920" in logged  # the reference is no phone number
    assert "+49160******01" in logged  # recipient


def test_console_sms_log_keeps_links_whole_so_they_can_be_clicked(caplog):
    from hotline.core.telephony import ConsoleTelephony

    link = "https://hotline.example.org/d/Zx_4915212345678-09"
    body = f"Einkaufen, 10115 Berlin. Zusagen: {link} oder JA 483920. Rückruf 030 1234567"
    with caplog.at_level(logging.INFO, logger="hotline.core.telephony"):
        ConsoleTelephony().send_sms("+4916000000001", "+4915799990000", body)
    [logged] = [r.getMessage() for r in caplog.records if r.name == "hotline.core.telephony"]
    assert link in logged and "JA 483920" in logged and "10115 Berlin" in logged
    assert "1234567" not in logged.replace(link, "") and "+49301****67" in logged
