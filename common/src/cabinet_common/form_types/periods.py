"""Quarters of both cadences: period keys, their dates, the due rule and the instant an
obligation is overdue.

Period keys:
- calendar quarters: "2026-Q3" is 1 July to 30 September 2026;
- fiscal quarters of a year starting 1 April: "FY2026-Q1" is 1 April to 30 June 2026 and
  "FY2026-Q4" is 1 January to 31 March 2027 (financial year 2026 runs April 2026 to
  March 2027, as the UK government counts it).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Field

Cadence = Literal["calendar_quarters", "fiscal_quarters_april"]

LONDON = ZoneInfo("Europe/London")
FIRST_YEAR, LAST_YEAR = 1900, 2999
_KEY_PREFIX = {"calendar_quarters": "", "fiscal_quarters_april": "FY"}
_KEY = {
    cadence: re.compile(prefix + r"(?P<year>[0-9]{4})-Q(?P<quarter>[1-4])")
    for cadence, prefix in _KEY_PREFIX.items()
}
_EXAMPLE_KEY = {"calendar_quarters": "2026-Q3", "fiscal_quarters_april": "FY2026-Q1"}
_FIRST_MONTH_OF_YEAR = {"calendar_quarters": 1, "fiscal_quarters_april": 4}

# A key of either cadence in the years FIRST_YEAR to LAST_YEAR, as an API declares it
# (`PeriodKey`): the OpenAPI shows the pattern and a key outside it is a 422 WRONG_FORMAT.
# Which cadence it must follow is the form type's, which `period` checks.
PERIOD_KEY_PATTERN = r"^(FY)?(19[0-9]{2}|2[0-9]{3})-Q[1-4]$"
PeriodKey = Annotated[str, Field(pattern=PERIOD_KEY_PATTERN, examples=list(_EXAMPLE_KEY.values()))]


class InvalidPeriodKey(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date


def period(cadence: Cadence, key: str) -> Period:
    """The quarter a key names in the cadence; InvalidPeriodKey for anything else."""
    match = _KEY[cadence].fullmatch(key)
    if match is None:
        raise InvalidPeriodKey(f"Period key {key!r} must look like {_EXAMPLE_KEY[cadence]}")
    year, number = int(match["year"]), int(match["quarter"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidPeriodKey(f"Period key {key!r} must be in the years {FIRST_YEAR}-{LAST_YEAR}")
    start = date(year, _FIRST_MONTH_OF_YEAR[cadence], 1) + relativedelta(months=3 * (number - 1))
    return Period(key=key, start=start, end=start + relativedelta(months=3, days=-1))


def period_containing(cadence: Cadence, day: date) -> Period:
    months_into_year = (day.month - _FIRST_MONTH_OF_YEAR[cadence]) % 12
    year = day.year if day.month >= _FIRST_MONTH_OF_YEAR[cadence] else day.year - 1
    return period(cadence, f"{_KEY_PREFIX[cadence]}{year}-Q{months_into_year // 3 + 1}")


def quarter(key: str) -> Period:
    """A calendar quarter from its key, e.g. "2026-Q3"."""
    return period("calendar_quarters", key)


def quarter_containing(day: date) -> Period:
    return period_containing("calendar_quarters", day)


def due_date(period_end: date, months_after: int, days_after: int) -> date:
    """The last day of the month `months_after` months after the period ends, plus
    `days_after` days: with 1 and 7, HMRC's VAT rule (30 June is due 7 August)."""
    return period_end + relativedelta(months=months_after, day=31) + timedelta(days=days_after)


def overdue_at(due: date) -> datetime:
    """A return is on time all through its due date, in London."""
    return datetime.combine(due + timedelta(days=1), time.min, tzinfo=LONDON).astimezone(UTC)
