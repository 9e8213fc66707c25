"""How the checks write dates and compare payees."""

import unicodedata
from datetime import date


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def payee_key(payee: str) -> str:
    """How payees are compared: case, accents' composition, punctuation and spacing aside
    ("STATIONERS  LTD." and "Stationers Ltd" are the same payee)."""
    text = unicodedata.normalize("NFKC", payee).casefold()
    kept = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(kept.split())
