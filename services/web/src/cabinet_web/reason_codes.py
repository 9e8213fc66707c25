"""Reason codes (proto cabinet.common.v1.ReasonCode, without its REASON_CODE_ prefix) in
plain words, for pages that show a reason or let a caseworker choose one."""

from typing import Any

from cabinet_web.forms import select_items

# Every code a return can carry, in the proto's order (UNSPECIFIED is never one).
REASON_WORDS: dict[str, str] = {
    "TOTAL_MISMATCH": "Totals do not add up",
    "DATE_OUTSIDE_PERIOD": "Dated outside the period",
    "DUPLICATE_RECEIPT": "Already filed (the same file)",
    "POSSIBLE_DUPLICATE": "Possible duplicate of another receipt",
    "FUTURE_DATE": "Dated in the future",
    "INVALID_AMOUNT": "Amount not allowed",
    "CURRENCY_NOT_ACCEPTED": "Currency not accepted",
    "MISSING_REQUIRED_RECEIPT": "A required receipt is missing",
    "UNREADABLE_FILE": "File cannot be read",
    "ANSWER_NOT_ACCEPTED": "An answer is not accepted",
    "AMOUNT_NOT_ON_RECEIPT": "Amount not on the receipt",
    "DATE_NOT_ON_RECEIPT": "Date not on the receipt",
    "PAYEE_NOT_ON_RECEIPT": "Payee not on the receipt",
    "RECEIPT_NOT_READABLE": "Receipt cannot be read",
    "DOES_NOT_SUPPORT_CLAIM": "Does not support the claim",
    "ILLEGIBLE": "Illegible",
    "OTHER": "Other",
}

# Reasons only a person gives (the checks never do): the filer reads the standard
# sentence, then the caseworker's details if they gave any. OTHER has no sentence: its
# details are required and are all the filer reads.
OTHER = "OTHER"
HUMAN_REASONS = ("DOES_NOT_SUPPORT_CLAIM", "ILLEGIBLE")
FILER_SENTENCES: dict[str, str] = {
    "DOES_NOT_SUPPORT_CLAIM": "This receipt does not show the expense you claimed. Send one "
    "that does, or leave it out.",
    "ILLEGIBLE": "We cannot read this receipt. Send a clearer copy, or leave it out.",
}
# How a choice reads where a caseworker picks one ("Other (give details)").
CHOICE_WORDS = {OTHER: "Other (give details)"}

# The reasons the checks give, which a caseworker may give too for one receipt.
AUTOMATIC_RECEIPT_REASONS = (
    "DATE_OUTSIDE_PERIOD",
    "FUTURE_DATE",
    "INVALID_AMOUNT",
    "CURRENCY_NOT_ACCEPTED",
    "UNREADABLE_FILE",
    "DUPLICATE_RECEIPT",
    "POSSIBLE_DUPLICATE",
    "AMOUNT_NOT_ON_RECEIPT",
    "DATE_NOT_ON_RECEIPT",
    "PAYEE_NOT_ON_RECEIPT",
    "RECEIPT_NOT_READABLE",
)

# What a caseworker may give as the reason for sending back one receipt: a person's
# reasons first, then the checks', then Other.
RECEIPT_REASONS = (*HUMAN_REASONS, *AUTOMATIC_RECEIPT_REASONS, OTHER)

# What a caseworker may give as a reason about the whole return.
SUBMISSION_REASONS = ("TOTAL_MISMATCH", "ANSWER_NOT_ACCEPTED", "MISSING_REQUIRED_RECEIPT", OTHER)


def reason_words(code: str) -> str:
    """Plain words for a code; an unknown code is shown as readable words of its own."""
    return REASON_WORDS.get(code, code.replace("_", " ").capitalize())


def choice_words(code: str) -> str:
    """How a code reads as a choice: "Other (give details)", the others as reason_words."""
    return CHOICE_WORDS.get(code, reason_words(code))


def reason_items(codes: tuple[str, ...], selected: str, prompt: str) -> list[dict[str, Any]]:
    """Items for govukSelect: a prompt with no value first, then the codes in words."""
    return select_items(prompt, ((code, choice_words(code)) for code in codes), selected)


def filer_message(code: str, details: str) -> str:
    """What the filer reads for a reason a caseworker gave: a person's reason's standard
    sentence, then the caseworker's details; for the others, the details alone."""
    sentence = FILER_SENTENCES.get(code, "")
    return f"{sentence} {details}".strip() if sentence else details
