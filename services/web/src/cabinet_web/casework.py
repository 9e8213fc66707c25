"""Pure helpers of the caseworker pages: how a return's answers and files are shown, and
how the decision forms (return, extend) are read and checked the GOV.UK way."""

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from cabinet_common.receipt_files import CSV, JPEG, PDF, PNG
from cabinet_web.formatting import long_date
from cabinet_web.forms import Problems
from cabinet_web.reason_codes import (
    FILER_SENTENCES,
    OTHER,
    RECEIPT_REASONS,
    SUBMISSION_REASONS,
    filer_message,
)

RECEIPT_NOTE_MAX = 1000
NOTE_MAX = 2000  # Decision.reason allows 2,000 characters

# Media types intake accepts, as a caseworker reads them, and how a page can show them.
FILE_KINDS = {PDF: "PDF", PNG: "PNG image", JPEG: "JPEG image", CSV: "CSV spreadsheet"}
VIEWERS = {PDF: "pdf", PNG: "image", JPEG: "image"}


def file_kind(media_type: str) -> str:
    return FILE_KINDS.get(media_type, media_type)


def viewer(media_type: str) -> str | None:
    """How the page shows the file inline: "image" (<img>), "pdf" (<iframe>) or None."""
    return VIEWERS.get(media_type)


def file_size(size_bytes: int) -> str:
    """GOV.UK style: "512 bytes", "34 KB", "1.2 MB"."""
    if size_bytes < 1024:
        return f"{size_bytes} byte{'' if size_bytes == 1 else 's'}"
    if size_bytes < 1024 * 1024:
        return f"{round(size_bytes / 1024):,} KB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def money_answer(value: str) -> str:
    """An answer typed in pounds ("1000", "-12.5") as "£1,000.00"; anything else as typed."""
    try:
        amount = Decimal(value.strip().replace(",", "").removeprefix("£"))
    except InvalidOperation:
        return value
    if not amount.is_finite():
        return value
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def answer_text(kind: str, value: str) -> str:
    if value == "":
        return "Not answered"
    if kind == "money":
        return money_answer(value)
    if kind == "declaration":
        return "Yes, declared" if value.strip().lower() in ("true", "yes", "on") else value
    if kind == "date":
        try:
            return long_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value


def answer_rows(
    fields: Sequence[Mapping[str, Any]], answers: Mapping[str, str]
) -> list[dict[str, str]]:
    """Each question of the form (in the form's order) with the answer given: `name` is its
    short label ("Box 1"), `label` the question in full when that says more. Answers to
    questions the form does not have come last, under their ids."""
    rows = [
        {
            "field_id": f["id"],
            "name": _field_name(f),
            "label": f["label"] if f["label"] != _field_name(f) else "",
            "answer": answer_text(f.get("kind", "text"), answers.get(f["id"], "")),
        }
        for f in fields
    ]
    known = {f["id"] for f in fields}
    rows += [
        {"field_id": key, "name": key, "label": "", "answer": value}
        for key, value in answers.items()
        if key not in known
    ]
    return rows


def _field_name(field: Mapping[str, Any]) -> str:
    if field.get("kind") == "declaration":
        return "Declaration"
    short = str(field.get("short_label") or field["label"])
    return short[:1].upper() + short[1:]


# The new due date (govukDateInput, parts day, month and year).

MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}


@dataclass(frozen=True)
class DateAnswer:
    value: date | None
    error: str | None = None
    # The parts to highlight (govuk-input--error): "day", "month", "year".
    parts: tuple[str, ...] = ()


def parse_date_input(day: str, month: str, year: str, name: str) -> DateAnswer:
    """Read a date typed in three boxes; `name` is how messages call it ("the new due
    date"), and they follow the GOV.UK date input pattern."""
    given = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [part for part, value in given.items() if not value]
    if len(missing) == 3:
        return DateAnswer(None, f"Enter {name}", ("day", "month", "year"))
    if missing:
        return DateAnswer(
            None, f"{name.capitalize()} must include a {' and '.join(missing)}", tuple(missing)
        )
    month_number = (
        int(given["month"]) if given["month"].isdigit() else MONTHS.get(given["month"].lower())
    )
    if not (given["day"].isdigit() and given["year"].isdigit()) or month_number is None:
        return DateAnswer(
            None, f"{name.capitalize()} must be a real date", ("day", "month", "year")
        )
    if len(given["year"]) != 4:
        return DateAnswer(None, "Year must include 4 numbers", ("year",))
    try:
        return DateAnswer(date(int(given["year"]), month_number, int(given["day"])))
    except ValueError:
        return DateAnswer(
            None, f"{name.capitalize()} must be a real date", ("day", "month", "year")
        )


def check_new_due_date(answer: DateAnswer, current: date) -> DateAnswer:
    if answer.value is not None and answer.value <= current:
        return DateAnswer(
            None, f"The new due date must be after {long_date(current)}", ("day", "month", "year")
        )
    return answer


def check_reason(problems: Problems, field_id: str, reason: str, missing: str) -> str:
    """The reason every decision is recorded with: required, at most 2,000 characters."""
    reason = reason.strip()
    if not reason:
        problems.add(field_id, missing)
    elif len(reason) > NOTE_MAX:
        problems.add(field_id, f"The reason must be {NOTE_MAX:,} characters or less")
    return reason


# Returning a submission: per receipt accept or return (with a coded reason and a note),
# an optional reason about the whole return, and an optional note for the record.


@dataclass
class ReturnForm:
    values: dict[str, str]
    problems: Problems = field(default_factory=Problems)
    reasons: list[dict[str, str]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def action(self) -> dict[str, Any]:
        """The body of cycles' POST /obligations/{id}/return (a ReturnDecision; cycles
        records the caseworker its token names)."""
        return {
            "reason": self.note or _summary(self.reasons, self.receipts),
            "reasons": self.reasons,
            "receipts": [
                {"receipt_id": r["receipt_id"], "reasons": r["reasons"]} for r in self.receipts
            ],
        }


def _summary(reasons: list[dict[str, str]], receipts: list[dict[str, Any]]) -> str:
    parts = [r["message"] for r in reasons] + [
        f"receipt {r['number']}: {reason['message']}" for r in receipts for reason in r["reasons"]
    ]
    summary = "; ".join(parts)
    return summary if len(summary) <= NOTE_MAX else summary[: NOTE_MAX - 1] + "…"


def return_field_names(count: int) -> list[str]:
    names = ["submission-reason", "submission-note", "note"]
    for number in range(1, count + 1):
        names += [f"receipt-{number}-{part}" for part in ("decision", "reason", "details", "note")]
    return names


def _receipt_message(problems: Problems, number: int, code: str, values: dict[str, str]) -> str:
    """Check the reason for returning one receipt and build what the filer reads. "Other"
    needs its details; a reason the checks give needs a note (the filer must be told what
    to send instead); a person's reason has standard words and takes a note if given."""
    details = values[f"receipt-{number}-details"].strip()
    note = values[f"receipt-{number}-note"].strip()
    if code not in RECEIPT_REASONS:
        problems.add(f"receipt-{number}-reason", f"Select a reason for returning receipt {number}")
    if code == OTHER and not details:
        problems.add(
            f"receipt-{number}-details", f"Enter details for the filer about receipt {number}"
        )
    elif code != OTHER and code not in FILER_SENTENCES and not note:
        problems.add(f"receipt-{number}-note", f"Enter a note for the filer about receipt {number}")
    for part, given in (("details", details), ("note", note)):
        if len(given) > RECEIPT_NOTE_MAX:
            problems.add(
                f"receipt-{number}-{part}",
                f"The {part} about receipt {number} must be {RECEIPT_NOTE_MAX:,} characters "
                "or less",
            )
    if code == OTHER:
        return " ".join(part for part in (details, note) if part)
    return filer_message(code, note)


def read_return_form(form: Mapping[str, Any], receipt_ids: list[str]) -> ReturnForm:
    """Check the return form against the latest version's receipts (in their order: field
    names number them from 1) and build what to send."""
    values = {name: str(form.get(name, "") or "") for name in return_field_names(len(receipt_ids))}
    result = ReturnForm(values=values)
    problems = result.problems
    for number, receipt_id in enumerate(receipt_ids, start=1):
        decision = values[f"receipt-{number}-decision"]
        if decision not in ("accept", "return"):
            problems.add(
                f"receipt-{number}-decision", f"Select accept or return for receipt {number}"
            )
            continue
        if decision == "accept":
            continue
        code = values[f"receipt-{number}-reason"]
        message = _receipt_message(problems, number, code, values)
        result.receipts.append(
            {
                "receipt_id": receipt_id,
                "number": number,
                "reasons": [{"code": code, "message": message}],
            }
        )
    code = values["submission-reason"]
    note = values["submission-note"].strip()
    if code and code not in SUBMISSION_REASONS:
        problems.add("submission-reason", "Select a reason about the whole return from the list")
    elif note and not code:
        problems.add("submission-reason", "Select a reason about the whole return")
    if code and not note:
        problems.add("submission-note", "Enter a note for the filer about the whole return")
    elif len(note) > RECEIPT_NOTE_MAX:
        problems.add(
            "submission-note",
            f"The note about the whole return must be {RECEIPT_NOTE_MAX:,} characters or less",
        )
    if code:
        result.reasons.append({"code": code, "message": note})
    if not problems and not result.reasons and not result.receipts:
        problems.add(
            "submission-reason",
            "Return at least one receipt, or select a reason about the whole return",
        )
    result.note = values["note"].strip()
    if len(result.note) > NOTE_MAX:
        problems.add("note", f"The note must be {NOTE_MAX:,} characters or less")
    return result
