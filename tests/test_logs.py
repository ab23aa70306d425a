import logging

from hotline.logs import MaskNumbersFilter


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
