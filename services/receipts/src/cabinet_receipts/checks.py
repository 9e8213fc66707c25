"""The receipt checks, as pure functions of a FormSubmitted and what the department has
already filed. Problems are flagged per receipt line, never by rejecting the whole return."""

from collections.abc import Mapping
from datetime import date

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.reasons import reason

Code = types_pb2.ReasonCode


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def check_totals(submitted: submissions_pb2.FormSubmitted) -> list[types_pb2.Reason]:
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


def check_receipt(
    line: submissions_pb2.ReceiptLine,
    period_start: date,
    period_end: date,
    filed_elsewhere: bool,
    repeated_in_submission: bool,
) -> list[types_pb2.Reason]:
    reasons = []
    receipt_date = date.fromisoformat(line.date)
    if not period_start <= receipt_date <= period_end:
        reasons.append(
            reason(
                Code.REASON_CODE_DATE_OUTSIDE_PERIOD,
                f"The receipt is dated {receipt_date:%-d %B %Y}, outside the period "
                f"{period_start:%-d %B %Y} to {period_end:%-d %B %Y}",
            )
        )
    if filed_elsewhere:
        reasons.append(
            reason(
                Code.REASON_CODE_DUPLICATE_RECEIPT,
                "This file has already been filed in this department",
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


def check_submission(
    submitted: submissions_pb2.FormSubmitted,
    first_filed_by: Mapping[str, str],
) -> tuple[list[receipts_pb2.ReceiptCheck], list[types_pb2.Reason]]:
    """Check every receipt line and the totals.

    ``first_filed_by`` maps a file's SHA-256 to the obligation that first filed it in this
    department; a file first filed by this same obligation (an earlier version) is no
    duplicate."""
    start = date.fromisoformat(submitted.period_start)
    end = date.fromisoformat(submitted.period_end)
    own_obligation = submitted.obligation.obligation_id
    seen_in_submission: set[str] = set()
    results = []
    for line in submitted.receipts:
        owner = first_filed_by.get(line.file_sha256)
        reasons = check_receipt(
            line,
            start,
            end,
            filed_elsewhere=owner is not None and owner != own_obligation,
            repeated_in_submission=line.file_sha256 in seen_in_submission,
        )
        seen_in_submission.add(line.file_sha256)
        results.append(
            receipts_pb2.ReceiptCheck(
                receipt_id=line.receipt_id, accepted=not reasons, reasons=reasons
            )
        )
    return results, check_totals(submitted)
