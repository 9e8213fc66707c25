"""Both cadences: fiscal quarters of a year starting 1 April ("FY2026-Q1" is April to June
2026), calendar quarters, the period a day falls in, and due dates by the definition's rule."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabinet_common.form_types.definition import DueRule
from cabinet_common.form_types.periods import (
    Cadence,
    InvalidPeriodKey,
    Period,
    period,
    period_containing,
)

CADENCES: list[Cadence] = ["calendar_quarters", "fiscal_quarters_april"]


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("FY2026-Q1", date(2026, 4, 1), date(2026, 6, 30)),
        ("FY2026-Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("FY2026-Q3", date(2026, 10, 1), date(2026, 12, 31)),
        ("FY2026-Q4", date(2027, 1, 1), date(2027, 3, 31)),
        ("FY2027-Q4", date(2028, 1, 1), date(2028, 3, 31)),
    ],
)
def test_fiscal_quarter_dates(key: str, start: date, end: date) -> None:
    assert period("fiscal_quarters_april", key) == Period(key=key, start=start, end=end)


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 4, 1), "FY2026-Q1"),
        (date(2026, 3, 31), "FY2025-Q4"),
        (date(2026, 1, 1), "FY2025-Q4"),
        (date(2026, 12, 31), "FY2026-Q3"),
        (date(2026, 7, 1), "FY2026-Q2"),
    ],
)
def test_the_fiscal_quarter_containing_a_day(day: date, key: str) -> None:
    assert period_containing("fiscal_quarters_april", day).key == key


@pytest.mark.parametrize(
    ("cadence", "key"),
    [
        ("fiscal_quarters_april", "2026-Q1"),
        ("fiscal_quarters_april", "FY2026-Q5"),
        ("fiscal_quarters_april", "fy2026-Q1"),
        ("fiscal_quarters_april", "FY2026-Q1\n"),
        ("fiscal_quarters_april", "FY0000-Q1"),
        ("calendar_quarters", "FY2026-Q1"),
    ],
)
def test_a_key_of_the_other_cadence_or_malformed_is_refused(cadence: Cadence, key: str) -> None:
    with pytest.raises(InvalidPeriodKey):
        period(cadence, key)


@pytest.mark.parametrize(
    ("key", "due"),
    [
        ("FY2026-Q1", date(2026, 7, 31)),
        ("FY2026-Q2", date(2026, 10, 31)),
        ("FY2026-Q3", date(2027, 1, 31)),
        ("FY2026-Q4", date(2027, 4, 30)),
    ],
)
def test_expenses_due_at_the_end_of_the_month_after_the_quarter(key: str, due: date) -> None:
    rule = DueRule(months_after_period_end=1, days_after=0)
    assert rule.due_date(period("fiscal_quarters_april", key).end) == due


@given(
    cadence=st.sampled_from(CADENCES),
    day=st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31)),
)
def test_every_day_falls_in_exactly_the_quarter_its_key_names(cadence: Cadence, day: date) -> None:
    containing = period_containing(cadence, day)
    assert containing.start <= day <= containing.end
    assert period(cadence, containing.key) == containing
    assert containing.start.day == 1
    assert (containing.end + timedelta(days=1)).day == 1
    following = period_containing(cadence, containing.end + timedelta(days=1))
    assert following.start == containing.end + timedelta(days=1)


@given(
    cadence=st.sampled_from(CADENCES),
    day=st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31)),
)
def test_the_vat_rule_is_due_on_the_seventh_of_the_second_month_after(
    cadence: Cadence, day: date
) -> None:
    end = period_containing(cadence, day).end
    due = DueRule(months_after_period_end=1, days_after=7).due_date(end)
    assert due.day == 7
    assert (due.year * 12 + due.month) - (end.year * 12 + end.month) == 2
