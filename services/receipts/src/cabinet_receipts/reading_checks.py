"""A typed receipt line against what its document says, for form types that read receipts
(receipt_checks.reading). Each finding is a flag for a caseworker, never a return:

  RECEIPT_NOT_READABLE   nothing legible (too few words read with confidence, or too low
                         a confidence, after trying every way up), or a limit was hit
  AMOUNT_NOT_ON_RECEIPT  the typed amount is not among the document's amounts
  DATE_NOT_ON_RECEIPT    the typed date is not among the document's dates
  PAYEE_NOT_ON_RECEIPT   no line of the document is like the typed payee (fuzzy)

An unreadable document is compared no further: its flag says everything there is to say."""

from datetime import date

from rapidfuzz import fuzz

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.form_types.definition import ReadingChecks
from cabinet_common.form_types.money import format_pence
from cabinet_common.reading import (
    FoundAmount,
    Reading,
    claimed_amount,
    confusable,
    find_amounts,
    find_dates,
    find_payee,
)
from cabinet_common.reasons import reason
from cabinet_receipts.wording import long_date, payee_key

Code = types_pb2.ReasonCode
# The event carries this much of the text; the receipts service keeps all of it.
EVENT_TEXT_LIMIT = 5000


def readable(reading: Reading, settings: ReadingChecks) -> bool:
    return (
        not reading.problem
        and reading.confidence >= settings.min_word_confidence
        and reading.confident_words >= settings.min_legible_words
    )


def amount_matches(found: FoundAmount, typed_pence: int, settings: ReadingChecks) -> bool:
    """The typed amount is this one found, within the tolerance, or the total read with one
    pence digit OCR confuses (a 7 read as 1)."""
    return abs(found.pence - typed_pence) <= settings.amount_tolerance_pence or (
        found.total and confusable(found.pence, typed_pence)
    )


def payee_similarity(payee: str, text: str) -> float:
    """How like the typed payee the most alike line of the document is (0-100)."""
    wanted = payee_key(payee)
    if not wanted:
        return 100.0
    lines = [payee_key(line) for line in text.splitlines()]
    return max((fuzz.partial_ratio(wanted, line) for line in lines if line), default=0.0)


def compare(
    line: submissions_pb2.ReceiptLine, reading: Reading, settings: ReadingChecks
) -> tuple[list[types_pb2.Reason], receipts_pb2.ReceiptReading]:
    """The flags for one line, and the reading as the event carries it."""
    text = reading.text
    summary = receipts_pb2.ReceiptReading(
        readable=readable(reading, settings),
        method=reading.method,
        text=text[:EVENT_TEXT_LIMIT],
        confidence=reading.confidence,
        rotation=reading.rotation,
        problem=reading.problem,
    )
    if not summary.readable:
        why = (
            f"The receipt could not be read: {reading.problem}"
            if reading.problem
            else "Nothing legible could be read on the receipt, whichever way up"
        )
        return [reason(Code.REASON_CODE_RECEIPT_NOT_READABLE, why)], summary

    typed_date = date.fromisoformat(line.date)
    amounts = find_amounts(text)
    dates = find_dates(text)
    payee = find_payee(text)
    claimed = claimed_amount(amounts)
    summary.payee = payee or ""
    summary.claimed_pence = claimed.pence if claimed else 0
    for found in amounts:
        if found.end <= EVENT_TEXT_LIMIT:
            summary.amounts.append(
                receipts_pb2.FoundAmount(
                    pence=found.pence,
                    start=found.start,
                    end=found.end,
                    total=found.total,
                    matches_line=amount_matches(found, line.amount_pence, settings),
                )
            )
    for found_date in dates:
        if found_date.end <= EVENT_TEXT_LIMIT:
            summary.dates.append(
                receipts_pb2.FoundDate(
                    date=found_date.value.isoformat(),
                    start=found_date.start,
                    end=found_date.end,
                    matches_line=abs((found_date.value - typed_date).days)
                    <= settings.date_tolerance_days,
                )
            )

    flags = []
    if not any(amount_matches(a, line.amount_pence, settings) for a in amounts):
        typed = format_pence(line.amount_pence)
        flags.append(
            reason(
                Code.REASON_CODE_AMOUNT_NOT_ON_RECEIPT,
                f"The receipt is for {format_pence(claimed.pence)}, not the {typed} entered"
                if claimed
                else f"No amount could be found on the receipt to match the {typed} entered",
            )
        )
    if not any(abs((d.value - typed_date).days) <= settings.date_tolerance_days for d in dates):
        flags.append(
            reason(
                Code.REASON_CODE_DATE_NOT_ON_RECEIPT,
                f"The receipt is dated {long_date(dates[0].value)}, "
                f"not {long_date(typed_date)} as entered"
                if dates
                else f"No date could be found on the receipt to match {long_date(typed_date)}",
            )
        )
    if settings.check_payee and payee_similarity(line.payee, text) < settings.payee_min_similarity:
        flags.append(
            reason(
                Code.REASON_CODE_PAYEE_NOT_ON_RECEIPT,
                f"The receipt does not name {line.payee}"
                + (f": it reads as from {payee}" if payee else ""),
            )
        )
    return flags, summary
