"""The "Add a receipt" form: its line checked with GOV.UK's wording, and its file given
the same first look intake gives it."""

from datetime import date

import pytest

from cabinet_common.receipt_files import MAX_FILE_BYTES, screen_file
from cabinet_web.forms import Problems
from cabinet_web.receipt_form import (
    ReceiptLine,
    ReceiptRules,
    named_categories,
    read_line,
    rules_for,
    screen_upload,
)
from tests import receipt_files
from tests.unit.form_type_examples import example
from tests.unit.web_support import messages

RULES = ReceiptRules(
    period_start=date(2026, 10, 1),
    period_end=date(2026, 12, 31),
    today=date(2026, 11, 28),
    categories=(),
)
GOOD = {
    "date-day": "3",
    "date-month": "11",
    "date-year": "2026",
    "amount": "£12.50",
    "payee": "  Stationers   Ltd ",
    "category": "stationery",
}


def read(
    posted: dict[str, str], rules: ReceiptRules = RULES
) -> tuple[ReceiptLine | None, Problems]:
    problems = Problems()
    return read_line(posted, rules, problems), problems


def test_a_good_line() -> None:
    line, problems = read(GOOD)
    assert not problems
    assert line == ReceiptLine(date(2026, 11, 3), 1250, "Stationers Ltd", "stationery")


def test_nothing_typed() -> None:
    line, problems = read({})
    assert line is None
    assert messages(problems) == {
        "date-day": "Enter the date on the receipt",  # linked to the day input
        "amount": "Enter the amount on the receipt",
        "payee": "Enter who the receipt is from",
        "category": "Enter a category",
    }


@pytest.mark.parametrize(
    ("changes", "message", "link"),
    [
        ({"date-day": ""}, "Date on the receipt must include a day", "date-day"),
        (
            {"date-month": "", "date-year": ""},
            "Date on the receipt must include a month and year",
            "date-month",
        ),
        (
            {"date-day": "31", "date-month": "11"},
            "Date on the receipt must be a real date",
            "date-day",
        ),
        ({"date-month": "Nov"}, "Date on the receipt must be a real date", "date-day"),
        ({"date-year": "26"}, "Year must include 4 numbers", "date-year"),
        (
            {"date-month": "9"},
            "Date on the receipt must be between 1 October 2026 and 31 December 2026",
            "date-day",
        ),
        ({"date-day": "29"}, "Date on the receipt must be today or in the past", "date-day"),
    ],
)
def test_dates(changes: dict[str, str], message: str, link: str) -> None:
    """The summary links each date problem to an input that takes the focus."""
    line, problems = read({**GOOD, **changes})
    assert line is None
    assert messages(problems) == {link: message}
    assert problems.message("date") == {"text": message}


def test_a_future_date_is_taken_when_the_form_allows_it() -> None:
    rules = ReceiptRules(**{**RULES.__dict__, "refuse_future_dates": False})
    line, problems = read({**GOOD, "date-day": "29"}, rules)
    assert not problems and line is not None


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.345", "Amount must be an amount in pounds and pence, like 600 or 193.54"),
        ("0", "Amount must be more than £0"),
        ("-5", "Amount must be more than £0"),
        ("100.01", "Amount must be £100.00 or less"),
    ],
)
def test_amounts(amount: str, message: str) -> None:
    rules = ReceiptRules(**{**RULES.__dict__, "max_amount_pence": 10000})
    line, problems = read({**GOOD, "amount": amount}, rules)
    assert line is None
    assert messages(problems) == {"amount": message}


def test_a_long_payee() -> None:
    _, problems = read({**GOOD, "payee": "x" * 201})
    assert messages(problems) == {"payee": "Who the receipt is from must be 200 characters or less"}


def test_categories_the_form_names_are_chosen_from() -> None:
    expenses = example("expenses")
    assert named_categories(expenses) == ("travel", "subsistence", "office")
    assert named_categories(example("vat-return")) == ()
    rules = rules_for(expenses, RULES.period_start, RULES.period_end, RULES.today)
    _, problems = read({**GOOD, "category": "stationery"}, rules)
    assert messages(problems) == {"category": "Select a category"}
    line, problems = read({**GOOD, "category": "travel"}, rules)
    assert not problems and line is not None and line.category == "travel"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Select a file"),
        (b"", "The selected file is empty"),
        (
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            "The selected file must be a PDF, PNG, JPG or CSV",
        ),
        (b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES, "The selected file must be smaller than 10MB"),
    ],
)
def test_files_refused(content: bytes | None, message: str) -> None:
    problems = Problems()
    assert screen_upload(content, problems) is None
    assert messages(problems) == {"file": message}


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (receipt_files.pdf(), "application/pdf"),
        (receipt_files.png(), "image/png"),
        (receipt_files.jpeg(), "image/jpeg"),
        (receipt_files.csv_file(), "text/csv"),
    ],
)
def test_files_taken(content: bytes, media_type: str) -> None:
    problems = Problems()
    assert screen_upload(content, problems) == media_type
    assert not problems


def test_the_first_look_only_claims_a_type() -> None:
    # A cut-off PDF looks like a PDF: intake, opening it in full, refuses it when sent.
    assert screen_file(receipt_files.truncated(receipt_files.pdf()), MAX_FILE_BYTES) == (
        "application/pdf"
    )
