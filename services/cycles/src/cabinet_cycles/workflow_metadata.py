"""What the Temporal Web UI shows of Cabinet's workflows, fixed when they start: a one-line
summary (the UI's "Summary") and Markdown details (its "Details"). The workflows keep their
current details (status, last decision and who made it) up to date themselves."""

from datetime import date

from cabinet_cycles.tables import Obligation, OpenedPeriod


def long_date(day: date) -> str:
    return f"{day:%-d %b %Y}"


def obligation_summary(obligation: Obligation, filer_name: str | None) -> str:
    return (
        f"{filer_name or obligation.filer_id}: {obligation.form_type_id} "
        f"{obligation.period_key}, due {long_date(obligation.due_date)}"
    )


def obligation_details(obligation: Obligation, filer_name: str | None) -> str:
    return "\n\n".join(
        [
            f"**Filer:** {filer_name or obligation.filer_id} (`{obligation.filer_id}`)",
            f"**Department:** `{obligation.department_id}`",
            f"**Form:** `{obligation.form_type_id}`, version {obligation.form_type_version}",
            f"**Period:** {obligation.period_key}, {long_date(obligation.period_start)} to "
            f"{long_date(obligation.period_end)}",
            f"**Due:** {long_date(obligation.due_date)} (on time until the end of that day, "
            "Europe/London)",
        ]
    )


def quarter_summary(period: OpenedPeriod) -> str:
    return (
        f"{period.department_id} {period.form_type_id} {period.period_key}: "
        f"due {long_date(period.due)}"
    )


def quarter_details(period: OpenedPeriod) -> str:
    return "\n\n".join(
        [
            f"**Department:** `{period.department_id}`",
            f"**Form:** `{period.form_type_id}`, version {period.form_type_version}",
            f"**Period:** {period.period_key}, {long_date(period.start)} to "
            f"{long_date(period.end)}",
            f"**Due:** {long_date(period.due)}",
            f"**Closes:** {period.closes_at:%-d %b %Y %H:%M} UTC",
        ]
    )
