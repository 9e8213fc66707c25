"""Acknowledgement reference numbers: 12 digits, the last a check digit.

The first 11 digits come from SHA-256 of what was accepted (obligation, submission,
version), so a replay or a retry gives the same number; the 12th is the Luhn check digit
(ISO/IEC 7812-1, as on bank cards) over the first 11. Luhn catches every single mistyped
digit and almost every swap of two neighbouring digits, which is what people get wrong
when they read a number out over the phone or copy it from paper."""

import hashlib
import re

_DIGITS = re.compile(r"[0-9]{12}")


def luhn_check_digit(digits: str) -> str:
    """The digit that, appended to `digits`, makes the Luhn sum a multiple of 10."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 0:  # doubled: these are the odd positions once the check digit is on
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str(-total % 10)


def is_valid_reference(reference: str) -> bool:
    """Twelve digits whose last is the Luhn check digit of the first eleven."""
    return (
        _DIGITS.fullmatch(reference) is not None
        and luhn_check_digit(reference[:11]) == reference[11]
    )


def acknowledgement_reference(obligation_id: str, submission_id: str, version: int) -> str:
    digest = hashlib.sha256(f"{obligation_id}:{submission_id}:{version}".encode()).digest()
    body = f"{int.from_bytes(digest[:8], 'big') % 10**11:011d}"
    return body + luhn_check_digit(body)
