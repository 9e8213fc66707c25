"""Turning a due date and a form type's ladder into instants, by Europe/London rules."""

from datetime import UTC, date, datetime, time, timedelta

from cabinet_common.form_types.periods import LONDON, overdue_at
from cabinet_common.obligation_workflow import Deadlines, Reminder

REMINDER_TIME = time(9, 0)


def london_instant(day: date, at: time = time.min) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def deadlines(due: date, reminder_ladder: list[int], escalate_after_days: int) -> Deadlines:
    """Reminders go at 09:00 London time on each rung's day (negative: before the due date)."""
    return Deadlines(
        due_date=due,
        overdue_at=overdue_at(due),
        escalate_at=london_instant(due + timedelta(days=1 + escalate_after_days)),
        reminders=[
            Reminder(
                days_relative_to_due=days,
                at=london_instant(due + timedelta(days=days), REMINDER_TIME),
            )
            for days in sorted(set(reminder_ladder))
        ],
    )
