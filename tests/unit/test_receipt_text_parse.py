"""Finding amounts, dates and the payee in a receipt's text, as OCR, a PDF's text layer
or a CSV gives it."""

from datetime import date

import pytest

from cabinet_common.reading import (
    claimed_amount,
    confusable,
    find_amounts,
    find_dates,
    find_payee,
)

TILL = """STATIONERS LTD
12 High Street, Leeds
VAT No. GB 123 4567 21
Date: 03/11/2026 14:22
Pens x3 4.50
Paper A4 1,206.99
Subtotal 1,211.49
VAT 20% 242.30
TOTAL £1,453.79
CASH 1,460.00
CHANGE 6.21
Thank you"""


def pence(text: str) -> list[int]:
    return [a.pence for a in find_amounts(text)]


def test_a_till_receipt_gives_every_amount_and_its_total() -> None:
    amounts = find_amounts(TILL)
    assert [a.pence for a in amounts] == [450, 120699, 121149, 24230, 145379, 146000, 621]
    assert [a.pence for a in amounts if a.total] == [145379]
    claimed = claimed_amount(amounts)
    assert claimed is not None and claimed.pence == 145379
    assert TILL[claimed.start : claimed.end] == "£1,453.79"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Total £45.00", [4500]),
        ("Total £ 45", [4500]),
        ("Amount due 45,00", [4500]),  # OCR's decimal comma
        ("Parking 450p", [450]),
        ("GBP 12.30", [1230]),
        ("Total E45.00", [4500]),  # a pound sign read as E
        ("Total £4500", [450000, 4500]),  # the point lost: either
        ("Total £335 17", [33500, 33517]),  # the point read as a space
        ("Qty 3 ref 12345 tel 0113 496 0000", []),  # bare whole numbers are no amounts
        ("Dated 03.11.2026", []),  # a date is not 3.11
        ("12.345 kg", []),
    ],
)
def test_amounts_in_the_ways_receipts_write_them(text: str, expected: list[int]) -> None:
    assert pence(text) == expected


def test_without_a_total_line_the_largest_amount_is_the_claim() -> None:
    claimed = claimed_amount(find_amounts("Coffee 2.50\nCake 3.10\nSubtotal 5.60"))
    assert claimed is not None and claimed.pence == 560
    assert claimed_amount([]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/11/2026", date(2026, 11, 3)),
        ("3/11/26", date(2026, 11, 3)),
        ("Date; 12.11,2026", date(2026, 11, 12)),  # OCR read a point as a comma
        ("03-11-26", date(2026, 11, 3)),
        ("03.11.2026", date(2026, 11, 3)),
        ("3 Nov 2026", date(2026, 11, 3)),
        ("3rd November 2026", date(2026, 11, 3)),
        ("Nov 3, 2026", date(2026, 11, 3)),
        ("2026-11-03", date(2026, 11, 3)),
        ("O3/1l/2026", date(2026, 11, 3)),  # O for 0, l for 1
        ("93/11/2026", date(2026, 11, 3)),  # a blurred 0 read as 9
    ],
)
def test_dates_day_first_in_every_uk_format(text: str, expected: date) -> None:
    assert [d.value for d in find_dates(f"Date: {text} 14:22")] == [expected]


def test_impossible_dates_are_not_dates() -> None:
    assert find_dates("31/02/2026 and 13/13/2026 and 00/00/00") == []


def test_the_payee_is_a_top_line_preferring_a_company_suffix() -> None:
    assert find_payee(TILL) == "STATIONERS LTD"
    assert find_payee("RECEIPT\nWelcome to\nHarbour Cafe & Co\n12 Quay Street") == (
        "Harbour Cafe & Co"
    )
    assert find_payee("The Corner Shop\n4 Station Road\nTotal 4.00") == "The Corner Shop"
    assert find_payee("12.00\n03/11/2026") is None


def test_a_garbled_total_is_found_from_the_subtotal_and_vat() -> None:
    text = "Subtotal 10.64\nVAT 20% 2.13\nTOTAL £12277.\nCASH 22.00"
    amounts = find_amounts(text)
    assert 1277 in [a.pence for a in amounts]
    assert [a.pence for a in amounts if a.total] == [1227700, 12277]  # never the claim
    # Printed as it should be: nothing more is added.
    printed = find_amounts("Subtotal 10.64\nVAT No. GB 123 4567 89\nVAT 2.13\nTotal 12.77")
    assert [a.pence for a in printed] == [1064, 213, 1277]


def test_a_total_may_be_confused_in_one_pence_digit_only() -> None:
    assert confusable(27317, 27377)  # 7 read as 1
    assert confusable(4508, 4503)  # 3 read as 8
    assert not confusable(27317, 27312)  # 2 and 7 are not taken for each other
    assert not confusable(27317, 27877)  # two digits
    assert not confusable(27317, 27817)  # pounds, never
    assert not confusable(2731, 27317)
