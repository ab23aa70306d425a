import pytest

from hotline.core.phones import InvalidPhoneNumber, caller_hash, mask, to_e164, to_mobile_e164


def test_national_number_is_stored_in_e164():
    assert to_e164("030 1234567") == "+49301234567"


def test_international_number_keeps_its_country():
    assert to_e164("+44 20 7946 0958") == "+442079460958"


def test_mobile_number_is_accepted_for_operators():
    assert to_mobile_e164("0151 23456789") == "+4915123456789"


def test_landline_is_rejected_for_operators_with_a_clear_message():
    with pytest.raises(InvalidPhoneNumber, match="landline"):
        to_mobile_e164("030 12345678")


@pytest.mark.parametrize("raw", ["", "abc", "123", "+49 0000"])
def test_invalid_numbers_are_rejected(raw):
    with pytest.raises(InvalidPhoneNumber):
        to_e164(raw)


def test_mask_keeps_prefix_and_last_two_digits_only():
    assert mask("+4915123456789") == "+49151******89"


def test_caller_hash_is_stable_and_salted():
    assert caller_hash("+4915123456789", "a") == caller_hash("+4915123456789", "a")
    assert caller_hash("+4915123456789", "a") != caller_hash("+4915123456789", "b")
