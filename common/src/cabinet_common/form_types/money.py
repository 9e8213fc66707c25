"""Money as people type it (pounds, like "1,234.56") to and from integer pence, exactly.

Accepted: an optional minus sign, whole pounds written plainly ("1234") or grouped in
thousands with commas ("1,234"), and at most two decimal places ("0.5" is 50p). Refused:
a third decimal place, a pound sign, spaces or commas anywhere else, exponents, and more
than MAX_POUND_DIGITS digits of pounds. No float is involved at any step.
"""

import re

MAX_POUND_DIGITS = 13
# Digits of pounds as written, leading zeros included: "000…0001" with thousands of zeros
# is not an amount anyone types (and int() refuses over 4,300 digits).
MAX_WRITTEN_DIGITS = 20
_POUNDS = re.compile(
    r"(?P<sign>-?)(?P<pounds>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<pence>[0-9]{1,2}))?"
)


class NotMoney(ValueError):
    pass


class TooMuchMoney(ValueError):
    pass


def parse_pounds(text: str) -> int:
    """Pence from a pounds amount; NotMoney or TooMuchMoney when it is not one we accept."""
    match = _POUNDS.fullmatch(text.strip())
    if match is None:
        raise NotMoney(text)
    pounds = match["pounds"].replace(",", "")
    if len(pounds) > MAX_WRITTEN_DIGITS:
        raise NotMoney(text)
    if len(pounds.lstrip("0")) > MAX_POUND_DIGITS:
        raise TooMuchMoney(text)
    pence = int(pounds) * 100 + int((match["pence"] or "0").ljust(2, "0"))
    return -pence if match["sign"] else pence


def format_pence(pence: int) -> str:
    """£1,234.56 or -£0.05, for messages."""
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{remainder:02d}"
