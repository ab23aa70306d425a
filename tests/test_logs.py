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


def test_a_traceback_carrying_a_number_is_masked_in_the_log_output():
    import io

    from hotline.core.logs import configure_logging

    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        raise ValueError("no operator for +4917612345678 (typed as 017612345678)")
    except ValueError:
        logging.getLogger("hotline.test").exception("lookup failed")
    written = stream.getvalue()
    assert "lookup failed" in written and "ValueError" in written
    assert "+4917612345678" not in written and "017612345678" not in written


def test_a_database_error_on_a_call_leaves_no_full_number_in_any_log(
    database_url, redis_url, engine
):
    """A call record the database refuses (a CallSid longer than its column): the webhook
    logs the error with its traceback, and neither the SQL parameters nor anything else in
    it shows the caller's number."""
    import io

    import pytest
    from sqlalchemy.orm import Session

    from hotline import create_app
    from hotline.core.extensions import db
    from hotline.core.logs import configure_logging
    from hotline.core.oncall.models import Line
    from tests.conftest import TwilioDriver, make_line, test_config

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite does not enforce column lengths")
    with Session(engine) as s:
        line = make_line(s, number="+4930779000", fallback_number="+4930779099")
        s.commit()
        line_id = line.id
    stream = io.StringIO()
    try:
        # The deadline is generous: this is about the database's error, not about time (on a
        # loaded machine the deadline's own error would come first and prove nothing).
        app = create_app(test_config(database_url, redis_url, WEBHOOK_DEADLINE_SECONDS=30))
        configure_logging("INFO", stream=stream)
        caller = "+4917699887766"
        driver = TwilioDriver(app, call_sid="CA" + "9" * 80, caller=caller, to="+4930779000")
        doc = driver.twiml("/twilio/voice")
        assert doc.find("Dial").text == "+4930779099"  # the caller still reaches someone
    finally:
        db.engine.dispose()
        db.factory = None
        with Session(engine) as s:
            s.delete(s.get(Line, line_id))
            s.commit()
    written = stream.getvalue()
    assert "Traceback" in written and "StringDataRightTruncation" in written
    assert "SQL parameters hidden" in written
    assert "+4917699887766" not in written and "17699887766" not in written
