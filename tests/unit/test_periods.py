"""Quarters, HMRC-style due dates and the instant an obligation turns overdue."""

from datetime import UTC, date, datetime

import pytest

from cabinet_common.form_types.periods import (
    InvalidPeriodKey,
    Period,
    due_date,
    overdue_at,
    quarter,
)


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2028-Q1", date(2028, 1, 1), date(2028, 3, 31)),  # leap year: Q1 still ends 31 March
    ],
)
def test_quarter_dates(key: str, start: date, end: date) -> None:
    assert quarter(key) == Period(key=key, start=start, end=end)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "2026",
        "2026-Q0",
        "2026-Q5",
        "2026-q3",
        "2026Q3",
        "2026-3",
        "26-Q3",
        "02026-Q3",
        "2026-Q3 ",
        " 2026-Q3",
        "2026-Q3x",
        "2026-Q12",
    ],
)
def test_invalid_period_keys_are_rejected(key: str) -> None:
    with pytest.raises(InvalidPeriodKey):
        quarter(key)


# BUG (reported): `_QUARTER_KEY.match` with `$` accepts a trailing newline, and `\d` accepts
# non-ASCII digits, so the same quarter gets a second, different period key; years 0000 and
# 9999 escape as a bare ValueError (a 500 from the API) instead of InvalidPeriodKey.
@pytest.mark.parametrize("key", ["2026-Q3\n", "\u0662\u0660\u0662\u0666-Q3", "0000-Q1", "9999-Q4"])
def test_malformed_period_keys_raise_invalid_period_key(key: str) -> None:
    with pytest.raises(InvalidPeriodKey):
        quarter(key)


@pytest.mark.parametrize(
    ("period_end", "due"),
    [
        (date(2026, 3, 31), date(2026, 5, 7)),
        (date(2026, 6, 30), date(2026, 8, 7)),
        (date(2026, 9, 30), date(2026, 11, 7)),
        (date(2026, 12, 31), date(2027, 2, 7)),
    ],
)
def test_due_date_follows_the_hmrc_vat_rule(period_end: date, due: date) -> None:
    assert due_date(period_end, 1, 7) == due


def test_due_date_of_each_quarter_of_a_year() -> None:
    dues = [due_date(quarter(f"2026-Q{n}").end, 1, 7) for n in range(1, 5)]
    assert dues == [date(2026, 5, 7), date(2026, 8, 7), date(2026, 11, 7), date(2027, 2, 7)]


def test_due_date_other_rules() -> None:
    # The last day of the month after, with no extra days: a short month ends on its last day.
    assert due_date(date(2026, 12, 31), 1, 0) == date(2027, 1, 31)
    assert due_date(date(2027, 12, 31), 2, 0) == date(2028, 2, 29)
    assert due_date(date(2026, 12, 31), 2, 0) == date(2027, 2, 28)
    assert due_date(date(2026, 3, 31), 0, 30) == date(2026, 4, 30)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # GMT: midnight in London is midnight UTC.
        (date(2026, 2, 7), datetime(2026, 2, 8, 0, 0, tzinfo=UTC)),
        (date(2026, 11, 7), datetime(2026, 11, 8, 0, 0, tzinfo=UTC)),
        # BST: midnight in London is 23:00 UTC the day before.
        (date(2026, 5, 7), datetime(2026, 5, 7, 23, 0, tzinfo=UTC)),
        (date(2026, 8, 7), datetime(2026, 8, 7, 23, 0, tzinfo=UTC)),
        # Around the changes (29 March and 25 October 2026, both at 01:00 UTC).
        (date(2026, 3, 28), datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),
        (date(2026, 3, 29), datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
        (date(2026, 10, 24), datetime(2026, 10, 24, 23, 0, tzinfo=UTC)),
        (date(2026, 10, 25), datetime(2026, 10, 26, 0, 0, tzinfo=UTC)),
        # New Year's Eve.
        (date(2026, 12, 31), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_overdue_at_is_the_end_of_the_due_date_in_london(due: date, expected: datetime) -> None:
    instant = overdue_at(due)
    assert instant == expected
    assert instant.tzinfo == UTC
