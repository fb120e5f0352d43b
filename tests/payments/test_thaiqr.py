"""The Thai QR payload builder against the published example payloads (docs/booking-and-fees.md),
the CRC's check value, the parser, and the references' check digit."""

from __future__ import annotations

import pytest

from app.payments import thaiqr

# (payload, biller, ref1, ref2, amount, order of 53/54/58): published tag-30 vectors
# (maythiwat/promptparse, klimakov/thai-qr-go) and the ascending-order variant computed for it.
BILL_PAYMENT_VECTORS = [
    (
        "00020101021130550016A0000006770101120115099999999999990021211122233344453037645802TH63043EE7",
        "099999999999990",
        "111222333444",
        "",
        None,
        ("53", "58"),
    ),
    (
        "00020101021230650016A00000067701011201150994000165501000212123456789012030667042953037645802TH"
        "54073649.2263044534",
        "099400016550100",
        "123456789012",
        "670429",
        "3649.22",
        ("53", "58", "54"),
    ),
    (
        "00020101021230650016A000000677010112011509940001655010002121234567890120306670429530376454073649.22"
        "5802TH6304165E",
        "099400016550100",
        "123456789012",
        "670429",
        "3649.22",
        ("53", "54", "58"),
    ),
]

# Other published payloads (tag 29, cross-border, ref3 in 62): the parser and the CRC must accept them.
OTHER_VECTORS = [
    "00020101021129370016A000000677010111011300668012345675802TH530376463046197",
    "00020101021129370016A000000677010111021311111111111115802TH530376463047B5A",
    "00020101021129390016A00000067701011103150049990002885055802TH530376463041521",
    "00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469",
    "00020101021129370016A0000006770101110113006600000000053037645406100.005802TH6304D19E",
    "00020101021130620016A000000677010112011301122334455660211CUSTOMER0010306INV00153037645802TH62070703SCB"
    "6304780E",
    "00020101021230550016A0000006770120060115099400016550100021212345678901253037645406100.005802TH63049D1C",
]


def test_crc_is_crc16_ccitt_false():
    assert thaiqr.crc16("123456789") == "29B1"


@pytest.mark.parametrize(("payload", "biller", "ref1", "ref2", "amount", "order"), BILL_PAYMENT_VECTORS)
def test_bill_payment_payload_matches_the_published_examples(payload, biller, ref1, ref2, amount, order):
    assert thaiqr.bill_payment_payload(biller, ref1, ref2, amount, order=order) == payload


@pytest.mark.parametrize("payload", OTHER_VECTORS + [v[0] for v in BILL_PAYMENT_VECTORS])
def test_every_published_payload_parses_with_a_valid_crc(payload):
    parsed = thaiqr.parse(payload)
    assert parsed["00"] == "01" and parsed["53"] == "764" and parsed["58"] == "TH"


def test_a_built_payload_reads_back_as_what_was_put_in():
    payload = thaiqr.bill_payment_payload("099400016550100", "R12569000015", "R12569", "350")
    parsed = thaiqr.parse(payload)
    assert parsed["01"] == "12"  # dynamic: one payment of a given amount
    assert parsed["30"] == {
        "00": thaiqr.BILL_PAYMENT_AID,
        "01": "099400016550100",
        "02": "R12569000015",
        "03": "R12569",
    }
    assert parsed["54"] == "350.00"


def test_a_wrong_checksum_is_refused():
    good = OTHER_VECTORS[3]
    thaiqr.parse(good)
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.parse(good[:-4] + "FFFF")
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.parse(good.replace("4.22", "9.22"))


def test_bad_inputs_are_refused():
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.bill_payment_payload("12345", "ABC")
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.bill_payment_payload("099400016550100", "abc-lower")
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.bill_payment_payload("099400016550100", "A" * 21)
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.bill_payment_payload("099400016550100", "ABC", amount="0")


def test_references_carry_a_check_digit_that_catches_typos():
    ref = thaiqr.reference_of("R1-2569-00015", 15)
    assert ref[:-1] == "R1256900015" and thaiqr.is_reference(ref)
    assert not thaiqr.is_reference(ref[:-1] + str((int(ref[-1]) + 1) % 10))
    swapped = ref[:2] + ref[3] + ref[2] + ref[4:]
    assert ref[2] == ref[3] or not thaiqr.is_reference(swapped)
    long = thaiqr.reference_of("A-VERY-LONG-ROUND-CODE-2569-00001", 42)
    assert long[:-1] == "A0000000042" and len(long) <= 20
    assert thaiqr.normalise_reference(" r1-25 69 ") == "R12569"
