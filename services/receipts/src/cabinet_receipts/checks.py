"""The receipt checks, as pure functions of a FormSubmitted, the form type's definition and
what the department has already filed. Problems are flagged per receipt line, never by
rejecting the whole return; each carries a code and a reason a filer can act on.

Per receipt (a reason returns that receipt):
  UNREADABLE_FILE        the stored file is not a PDF, PNG, JPEG or CSV (intake refuses
                         those; this guards against older producers)
  DUPLICATE_RECEIPT      the same file (SHA-256) was filed by another obligation of the
                         department, in any quarter, or appears twice in this submission
  DATE_OUTSIDE_PERIOD    dated before the period starts or after it ends
  FUTURE_DATE            dated after the day it was submitted (Europe/London)
  INVALID_AMOUNT         zero, or more than the form type's max_amount_pence
  CURRENCY_NOT_ACCEPTED  neither GBP nor in the form type's exchange_rates
Per receipt, a flag (for a caseworker; it does not return the receipt):
  POSSIBLE_DUPLICATE     same payee, amount and date as a line filed by another obligation
                         of the department, or earlier in this submission
Per receipt, flags from reading its document, when the form type reads receipts
(reading_checks): RECEIPT_NOT_READABLE, AMOUNT_NOT_ON_RECEIPT, DATE_NOT_ON_RECEIPT,
PAYEE_NOT_ON_RECEIPT.
Per submission:
  TOTAL_MISMATCH         the declared total differs from the receipts (exact, in pence), or
                         a totals rule of the form type fails (a category's total, the total
                         of all receipts, box 3 = box 1 + box 2, ...)
  MISSING_REQUIRED_RECEIPT  fewer receipts of a required category than the form type needs
  ANSWER_NOT_ACCEPTED    any other rule of the form type (e.g. whole pounds)

Totals use each receipt's amount in pence of GBP (converted where a rate applies); when a
receipt's currency cannot be converted the totals are not checked (that receipt is already
returned, and a total computed without it would only repeat the problem)."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.form_types.answers import ProblemCode, check_answers
from cabinet_common.form_types.definition import FormTypeDefinition, ReceiptChecks
from cabinet_common.form_types.money import format_pence
from cabinet_common.reading import Reading
from cabinet_common.reasons import reason
from cabinet_receipts.reading_checks import compare
from cabinet_receipts.wording import long_date, payee_key

Code = types_pb2.ReasonCode
LONDON = ZoneInfo("Europe/London")
READABLE_MEDIA_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/csv"})
_RULE_CODES: Mapping[ProblemCode, "types_pb2.ReasonCode.ValueType"] = {
    ProblemCode.RULE_SUM: Code.REASON_CODE_TOTAL_MISMATCH,
    ProblemCode.RULE_ABS_DIFFERENCE: Code.REASON_CODE_TOTAL_MISMATCH,
    ProblemCode.RULE_CATEGORY_TOTAL: Code.REASON_CODE_TOTAL_MISMATCH,
    ProblemCode.RULE_TOTAL_OF_RECEIPTS: Code.REASON_CODE_TOTAL_MISMATCH,
    ProblemCode.MISSING_REQUIRED_RECEIPT: Code.REASON_CODE_MISSING_REQUIRED_RECEIPT,
}


def _pounds(pence: int) -> str:
    return format_pence(pence)


@dataclass(frozen=True)
class LineKey:
    """What makes two receipts look alike."""

    payee_key: str
    date: str
    amount: int
    currency: str

    @classmethod
    def of(cls, line: submissions_pb2.ReceiptLine) -> "LineKey":
        return cls(payee_key(line.payee), line.date, line.amount_pence, line.currency)


@dataclass(frozen=True)
class Filed:
    """What the department filed before this submission (by other versions and filers)."""

    # A file's SHA-256 -> the obligation that first filed it.
    first_filed_by: Mapping[str, str] = field(default_factory=dict)
    # A receipt line's look -> the obligations that filed a line like it.
    lines_filed_by: Mapping[LineKey, Collection[str]] = field(default_factory=dict)


def in_pounds(amount: int, currency: str, settings: ReceiptChecks) -> tuple[int, str] | None:
    """The amount in pence of GBP and the rate used ("" for GBP), or None if the form type
    takes no receipts in that currency."""
    if currency == "GBP":
        return amount, ""
    rate = settings.exchange_rates.get(currency)
    if rate is None:
        return None
    converted = (Decimal(amount) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(converted), rate


def submitted_on(submitted: submissions_pb2.FormSubmitted) -> date | None:
    """The day the submission was made, in Europe/London (BST or GMT as it was then)."""
    if not submitted.HasField("submitted_at"):
        return None
    return submitted.submitted_at.ToDatetime(tzinfo=LONDON).date()


def check_receipt(
    line: submissions_pb2.ReceiptLine,
    period_start: date,
    period_end: date,
    filed_elsewhere: bool,
    repeated_in_submission: bool,
    settings: ReceiptChecks | None = None,
    today: date | None = None,
) -> list[types_pb2.Reason]:
    settings = settings or ReceiptChecks()
    reasons = []
    if line.media_type not in READABLE_MEDIA_TYPES or line.size_bytes <= 0:
        reasons.append(
            reason(
                Code.REASON_CODE_UNREADABLE_FILE,
                "The file could not be read: send it as a PDF, PNG, JPG or CSV",
            )
        )
    receipt_date = date.fromisoformat(line.date)
    if not period_start <= receipt_date <= period_end:
        reasons.append(
            reason(
                Code.REASON_CODE_DATE_OUTSIDE_PERIOD,
                f"The receipt is dated {long_date(receipt_date)}, outside the period "
                f"{long_date(period_start)} to {long_date(period_end)}",
            )
        )
    if settings.refuse_future_dates and today is not None and receipt_date > today:
        reasons.append(
            reason(
                Code.REASON_CODE_FUTURE_DATE,
                f"The receipt is dated {long_date(receipt_date)}, after the day it was sent "
                f"({long_date(today)})",
            )
        )
    converted = in_pounds(line.amount_pence, line.currency, settings)
    if converted is None:
        accepted = ", ".join(["GBP", *sorted(settings.exchange_rates)])
        reasons.append(
            reason(
                Code.REASON_CODE_CURRENCY_NOT_ACCEPTED,
                f"The receipt is in {line.currency}; this form takes receipts in {accepted}",
            )
        )
    if line.amount_pence <= 0:
        reasons.append(
            reason(Code.REASON_CODE_INVALID_AMOUNT, "The receipt's amount must be more than 0")
        )
    elif (
        converted is not None
        and settings.max_amount_pence is not None
        and converted[0] > settings.max_amount_pence
    ):
        reasons.append(
            reason(
                Code.REASON_CODE_INVALID_AMOUNT,
                f"The receipt's amount ({_pounds(converted[0])}) is more than this form allows "
                f"for one receipt ({_pounds(settings.max_amount_pence)})",
            )
        )
    if filed_elsewhere:
        reasons.append(
            reason(
                Code.REASON_CODE_DUPLICATE_RECEIPT,
                # Says nothing of who sent it before: it may have been another business.
                "This receipt's file has been sent before. Each receipt needs its own file",
            )
        )
    elif repeated_in_submission:
        reasons.append(
            reason(
                Code.REASON_CODE_DUPLICATE_RECEIPT,
                "This file appears more than once in this submission",
            )
        )
    return reasons


def check_totals(
    submitted: submissions_pb2.FormSubmitted, receipts_total: int | None = None
) -> list[types_pb2.Reason]:
    if receipts_total is None:
        receipts_total = sum(line.amount_pence for line in submitted.receipts)
    if receipts_total == submitted.declared_total_pence:
        return []
    return [
        reason(
            Code.REASON_CODE_TOTAL_MISMATCH,
            f"The declared total of {_pounds(submitted.declared_total_pence)} does not match "
            f"the receipts, which add up to {_pounds(receipts_total)}",
        )
    ]


def check_rules(
    definition: FormTypeDefinition,
    submitted: submissions_pb2.FormSubmitted,
    pence_by_receipt: Mapping[str, int],
) -> list[types_pb2.Reason]:
    """The form type's rules (totals, whole pounds, required receipts), as reasons.
    Answers intake could not read never get here (intake refuses them)."""
    problems = check_answers(
        definition,
        dict(submitted.answers),
        [(line.category, pence_by_receipt[line.receipt_id]) for line in submitted.receipts],
    )
    return [
        types_pb2.Reason(
            code=_RULE_CODES.get(problem.code, Code.REASON_CODE_ANSWER_NOT_ACCEPTED),
            message=problem.message,
            field_id=problem.field_id or "",
        )
        for problem in problems
    ]


def check_submission(
    submitted: submissions_pb2.FormSubmitted,
    first_filed_by: Mapping[str, str],
    definition: FormTypeDefinition | None = None,
    lines_filed_by: Mapping[LineKey, Collection[str]] | None = None,
    readings: Mapping[str, Reading] | None = None,
) -> tuple[list[receipts_pb2.ReceiptCheck], list[types_pb2.Reason]]:
    """Check every receipt line, then the submission's totals and the form type's rules.

    ``first_filed_by`` maps a file's SHA-256 to the obligation that first filed it in this
    department; ``lines_filed_by`` maps a line's look to the obligations that filed one
    like it. What this same obligation filed (in an earlier version) is no duplicate.
    ``readings`` maps a receipt id to its document's reading (form types that read)."""
    settings = definition.receipt_checks if definition else ReceiptChecks()
    start = date.fromisoformat(submitted.period_start)
    end = date.fromisoformat(submitted.period_end)
    today = submitted_on(submitted)
    own = submitted.obligation.obligation_id
    lines_filed_by = lines_filed_by or {}
    seen_files: set[str] = set()
    seen_lines: set[LineKey] = set()
    pence_by_receipt: dict[str, int] = {}
    all_converted = True
    results = []
    for line in submitted.receipts:
        owner = first_filed_by.get(line.file_sha256)
        repeated_file = line.file_sha256 in seen_files
        filed_elsewhere = owner is not None and owner != own
        reasons = check_receipt(
            line,
            start,
            end,
            filed_elsewhere=filed_elsewhere,
            repeated_in_submission=repeated_file,
            settings=settings,
            today=today,
        )
        flags = []
        key = LineKey.of(line)
        exact_duplicate = filed_elsewhere or repeated_file
        others = set(lines_filed_by.get(key, ())) - {own}
        if (
            settings.flag_possible_duplicates
            and not exact_duplicate
            and (others or key in seen_lines)
        ):
            # The filer may read this: it never says whether another business sent it.
            flags.append(
                reason(
                    Code.REASON_CODE_POSSIBLE_DUPLICATE,
                    f"The receipt from {line.payee} for {_amount(line)} dated "
                    f"{long_date(date.fromisoformat(line.date))} looks like one sent before: "
                    "a person will check it is not the same expense",
                )
            )
        seen_files.add(line.file_sha256)
        seen_lines.add(key)
        converted = in_pounds(line.amount_pence, line.currency, settings)
        check = receipts_pb2.ReceiptCheck(
            receipt_id=line.receipt_id, accepted=not reasons, reasons=reasons, flags=flags
        )
        reading = (readings or {}).get(line.receipt_id)
        if settings.reading is not None and reading is not None:
            reading_flags, summary = compare(line, reading, settings.reading)
            check.flags.extend(reading_flags)
            check.reading.CopyFrom(summary)
        if converted is None:
            all_converted = False
        else:
            pence_by_receipt[line.receipt_id] = converted[0]
            if converted[1]:
                check.exchange_rate = converted[1]
                check.amount_gbp_pence = converted[0]
        results.append(check)
    if not all_converted:
        return results, []
    submission_reasons = check_totals(submitted, sum(pence_by_receipt.values()))
    if definition is not None:
        submission_reasons += check_rules(definition, submitted, pence_by_receipt)
    return results, submission_reasons


def _amount(line: submissions_pb2.ReceiptLine) -> str:
    if line.currency == "GBP":
        return _pounds(line.amount_pence)
    whole, minor = divmod(line.amount_pence, 100)
    return f"{whole:,}.{minor:02d} {line.currency}"
