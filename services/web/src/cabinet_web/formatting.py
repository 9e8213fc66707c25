"""How pages write money, dates and statuses (GOV.UK style: "£1,234.50", "3 March 2026")."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cabinet_common.form_types.money import format_pence

LONDON = ZoneInfo("Europe/London")

# Status -> (words, GOV.UK tag colour class).
STATUSES = {
    "open": ("Not filed", "govuk-tag--blue"),
    "submitted": ("Sent", "govuk-tag--light-blue"),
    "checking": ("Being checked", "govuk-tag--light-blue"),
    "returned": ("Returned", "govuk-tag--orange"),
    "accepted": ("Accepted", "govuk-tag--green"),
    "overdue": ("Overdue", "govuk-tag--red"),
    "escalated": ("Escalated", "govuk-tag--red"),
    "waived": ("Waived", "govuk-tag--grey"),
    "closed": ("Closed", "govuk-tag--grey"),
}


def money(pence: int | None) -> str:
    return "" if pence is None else format_pence(pence)


def long_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(LONDON)
        return f"{local.day} {local:%B %Y} at {local:%-I:%M%p}".replace("AM", "am").replace(
            "PM", "pm"
        )
    return f"{value.day} {value:%B %Y}"


def status_tag(status: str) -> dict[str, Any]:
    """Params for govukTag."""
    words, colour = STATUSES.get(status, (status.replace("_", " ").capitalize(), "govuk-tag--grey"))
    return {"text": words, "classes": colour}


FILTERS = {"money": money, "long_date": long_date, "status_tag": status_tag}
