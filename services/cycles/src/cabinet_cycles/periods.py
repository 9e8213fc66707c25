"""Quarters: period keys, their dates, the due rule and the instant an obligation is overdue."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
_QUARTER_KEY = re.compile(r"(?P<year>[0-9]{4})-Q(?P<quarter>[1-4])")
FIRST_YEAR, LAST_YEAR = 1900, 2999


class InvalidPeriodKey(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date


def quarter(key: str) -> Period:
    """A calendar quarter from its key, e.g. "2026-Q3" is 1 July to 30 September 2026."""
    match = _QUARTER_KEY.fullmatch(key)
    if match is None:
        raise InvalidPeriodKey(f"Period key {key!r} must look like 2026-Q3")
    year, number = int(match["year"]), int(match["quarter"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidPeriodKey(f"Period key {key!r} must be in the years {FIRST_YEAR}-{LAST_YEAR}")
    start = date(year, 3 * number - 2, 1)
    return Period(key=key, start=start, end=start + relativedelta(months=3, days=-1))


def quarter_containing(day: date) -> Period:
    return quarter(f"{day.year}-Q{(day.month - 1) // 3 + 1}")


def due_date(period_end: date, months_after: int, days_after: int) -> date:
    """The last day of the month `months_after` months after the period ends, plus
    `days_after` days: with 1 and 7, HMRC's VAT rule (30 June is due 7 August)."""
    return period_end + relativedelta(months=months_after, day=31) + timedelta(days=days_after)


def overdue_at(due: date) -> datetime:
    """A return is on time all through its due date, in London."""
    return datetime.combine(due + timedelta(days=1), time.min, tzinfo=LONDON).astimezone(UTC)
