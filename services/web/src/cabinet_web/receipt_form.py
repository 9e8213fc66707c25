"""The "Add a receipt" form: a file and its line (date, amount, who it is from, category),
read from what was posted and checked with GOV.UK's wording. The file gets the same first
look intake gives it (cabinet_common.receipt_files); intake opens it in full when sent."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.form_types.money import format_pence
from cabinet_common.receipt_files import MAX_FILE_BYTES, FileProblem, screen_file
from cabinet_web.answers_form import pence_of
from cabinet_web.formatting import long_date
from cabinet_web.forms import Problems

MAX_PAYEE = 200
MAX_CATEGORY = 100
DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class ReceiptLine:
    date: date
    amount_pence: int
    payee: str
    category: str


@dataclass(frozen=True)
class ReceiptRules:
    """What a line must be for this obligation."""

    period_start: date
    period_end: date
    today: date
    categories: tuple[str, ...]  # empty: any category, typed
    max_amount_pence: int | None = None
    refuse_future_dates: bool = True


def named_categories(definition: FormTypeDefinition) -> tuple[str, ...]:
    """The categories the form names (its required receipts and category totals), in the
    order it names them; empty when it names none (the filer types one)."""
    named = [r.category for r in definition.required_receipts] + [
        rule.category for rule in definition.rules if rule.rule == "category_total"
    ]
    return tuple(dict.fromkeys(named))


def rules_for(
    definition: FormTypeDefinition, period_start: date, period_end: date, today: date
) -> ReceiptRules:
    checks = definition.receipt_checks
    return ReceiptRules(
        period_start=period_start,
        period_end=period_end,
        today=today,
        categories=named_categories(definition),
        max_amount_pence=checks.max_amount_pence,
        refuse_future_dates=checks.refuse_future_dates,
    )


def screen_upload(content: bytes | None, problems: Problems) -> str | None:
    """The media type of the file chosen, or None with the problem added."""
    if content is None:
        problems.add("file", "Select a file")
        return None
    screened = screen_file(content, MAX_FILE_BYTES)
    if isinstance(screened, FileProblem):
        problems.add("file", screened.message)
        return None
    return screened


def read_line(
    posted: Mapping[str, str], rules: ReceiptRules, problems: Problems
) -> ReceiptLine | None:
    """The line typed, or None with every problem added (by the field's id)."""
    receipt_date = _read_date(posted, rules, problems)
    amount = _read_amount(posted.get("amount", ""), rules, problems)
    payee = " ".join(posted.get("payee", "").split())
    if not payee:
        problems.add("payee", "Enter who the receipt is from")
    elif len(payee) > MAX_PAYEE:
        problems.add("payee", f"Who the receipt is from must be {MAX_PAYEE} characters or less")
    category = posted.get("category", "").strip()
    if rules.categories:
        if category not in rules.categories:
            problems.add("category", "Select a category")
    elif not category:
        problems.add("category", "Enter a category")
    elif len(category) > MAX_CATEGORY:
        problems.add("category", f"Category must be {MAX_CATEGORY} characters or less")
    if receipt_date is None or amount is None or problems:
        return None
    return ReceiptLine(receipt_date, amount, payee, category)


# The error summary links a date problem to the day input (or the first part missing).
DAY = "date-day"


def _read_date(posted: Mapping[str, str], rules: ReceiptRules, problems: Problems) -> date | None:
    parts = {part: posted.get(f"date-{part}", "").strip() for part in DATE_PARTS}
    missing = [part for part in DATE_PARTS if not parts[part]]
    if len(missing) == len(DATE_PARTS):
        problems.add("date", "Enter the date on the receipt", DAY)
        return None
    if missing:
        problems.add(
            "date",
            f"Date on the receipt must include a {' and '.join(missing)}",
            f"date-{missing[0]}",
        )
        return None
    if not all(parts[part].isdigit() for part in DATE_PARTS):
        problems.add("date", "Date on the receipt must be a real date", DAY)
        return None
    if len(parts["year"]) != 4:
        problems.add("date", "Year must include 4 numbers", "date-year")
        return None
    try:
        receipt_date = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        problems.add("date", "Date on the receipt must be a real date", DAY)
        return None
    if not rules.period_start <= receipt_date <= rules.period_end:
        problems.add(
            "date",
            f"Date on the receipt must be between {long_date(rules.period_start)} and "
            f"{long_date(rules.period_end)}",
            DAY,
        )
        return None
    if rules.refuse_future_dates and receipt_date > rules.today:
        problems.add("date", "Date on the receipt must be today or in the past", DAY)
        return None
    return receipt_date


def _read_amount(text: str, rules: ReceiptRules, problems: Problems) -> int | None:
    if not text.strip():
        problems.add("amount", "Enter the amount on the receipt")
        return None
    pence = pence_of(text)
    if pence is None:
        problems.add("amount", "Amount must be an amount in pounds and pence, like 600 or 193.54")
        return None
    if pence <= 0:
        problems.add("amount", "Amount must be more than £0")
        return None
    if rules.max_amount_pence is not None and pence > rules.max_amount_pence:
        problems.add("amount", f"Amount must be {format_pence(rules.max_amount_pence)} or less")
        return None
    return pence
