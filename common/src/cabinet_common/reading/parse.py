"""What a receipt's text says: its amounts, its dates and who it is from. Pure functions of
the text (from a PDF's text layer, OCR or a CSV), tolerant of what OCR gets wrong in
receipts: a pound sign read as E or f, a decimal comma, O for 0 and l for 1 in a date.
Every finding keeps its place in the text (start, end), so a page can highlight it."""

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

# £1,234.56  £45  45.00  45,00 (OCR's decimal comma)  450p  GBP 12.00
_AMOUNT = re.compile(
    r"(?<![\d.,/-])(?P<symbol>£|GBP ?)?\s?"
    r"(?P<whole>\d{1,3}(?:,\d{3})+|\d{1,7})"
    r"(?:(?P<separator>[.,])(?P<pence>\d{2}))?"
    r"(?P<p>p\b)?(?![\d.,]?\d)"
)
# A comma may stand for one of the separators (OCR reads a blurred point as one).
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})([/.,-])(\d{1,2})([/.,-])(\d{4}|\d{2})(?![\d/.-]\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?[ .-]*({_MONTH})\b\.?[ ,.-]*(\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\b\.? *(\d{{1,2}})(?:st|nd|rd|th)?,? *(\d{{4}})(?!\d)", re.IGNORECASE
)
# Letters OCR puts for digits, replaced one for one (so positions hold) in date-like runs.
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "Q": "0",
        "D": "0",
        "l": "1",
        "I": "1",
        "|": "1",
        "i": "1",
        "S": "5",
        "B": "8",
        "Z": "2",
    }
)
_DATE_LIKE_RUN = re.compile(
    r"[0-9OoQDlIi|SBZ]{1,4}[/.,-][0-9OoQDlIi|SBZ]{1,2}[/.,-][0-9OoQDlIi|SBZ]{2,4}"
)
_TOTAL_WORDS = re.compile(
    r"\b(total|amount due|balance due|to pay|amount paid|grand total)\b", re.IGNORECASE
)
_SUBTOTAL_LINE = re.compile(r"\bsub[ -]?total\b", re.IGNORECASE)
_VAT_LINE = re.compile(r"\bvat\b(?!\s*(no|number|reg))", re.IGNORECASE)
# "£335 17": OCR read the point of a total as a space.
_SPACED_PENCE = re.compile(r" (\d{2})(?![\d.,])")
# Digits OCR takes for one another in a receipt's print.
_CONFUSABLE_DIGITS = {
    frozenset(pair) for pair in ("17", "38", "56", "08", "68", "89", "35", "49", "01")
}
_NOT_TOTAL_WORDS = re.compile(r"\b(sub[ -]?total|subtotal|vat|tax|change|tip)\b", re.IGNORECASE)
_PAYEE_SUFFIX = re.compile(
    r"\b(ltd|limited|plc|llp|and co|inc|cic|trading|services|group)\b|& ?co\b", re.IGNORECASE
)
_NOT_PAYEE = re.compile(
    r"\b(receipt|invoice|tax|vat|tel|phone|www|http|street|road|lane|avenue|date|time|"
    r"till|card|total|thank|welcome)\b|@|\d{3,}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundAmount:
    pence: int
    start: int
    end: int
    # On a line that names the total (not a subtotal, VAT or change).
    total: bool


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int
    end: int


def find_dates(text: str) -> list[FoundDate]:
    """Every date in the text, day first as in the UK (03/11/2026 is 3 November), in
    the order they appear; ISO dates (2026-11-03) too, as CSVs write them."""
    cleaned = _date_digits(text)
    found: dict[tuple[int, int], FoundDate] = {}
    for match in _ISO_DATE.finditer(cleaned):
        _keep(found, match, int(match[1]), int(match[2]), int(match[3]))
    for match in _NUMERIC_DATE.finditer(cleaned):
        if any(s <= match.start() < e for s, e in found):
            continue
        if match[2] == match[4] == ",":
            continue  # "1,12,2026" is more likely a list of numbers
        day, month, year = match[1], match[3], match[5]
        if int(day) > 31 and day[0] in "98":
            day = "0" + day[1:]  # a blurred 0 is often read as 9 or 8
        _keep(found, match, _year(year), int(month), int(day))
    for match in _DAY_MONTH_YEAR.finditer(text):
        _keep(found, match, _year(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    for match in _MONTH_DAY_YEAR.finditer(text):
        _keep(found, match, int(match[3]), _MONTHS[match[1].lower()], int(match[2]))
    return sorted(found.values(), key=lambda d: d.start)


def find_amounts(text: str) -> list[FoundAmount]:
    """Every sum of money in the text (in pence), in the order they appear. A bare whole
    number is not an amount (quantities, references): it needs pence, £ or p."""
    dates = [(d.start, d.end) for d in find_dates(text)]
    amounts = []
    for match in _AMOUNT.finditer(text):
        if any(s < match.end() and match.start() < e for s, e in dates):
            continue
        pence = _pence(match)
        if pence is None:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        total = bool(_TOTAL_WORDS.search(line)) and not _NOT_TOTAL_WORDS.search(line)
        start = match.start("whole") if not match["symbol"] else match.start()
        amounts.append(FoundAmount(pence, start, match.end(), total))
        spaced = _SPACED_PENCE.match(text, match.end())
        if match["symbol"] and not match["separator"] and not match["p"] and spaced:
            whole = int(match["whole"].replace(",", ""))
            amounts.append(FoundAmount(whole * 100 + int(spaced[1]), start, spaced.end(), total))
        elif (
            match["symbol"]
            and not match["separator"]
            and match["whole"].isdigit()
            and len(match["whole"]) >= 3
        ):
            # "£21142": OCR often loses the point; it may be £211.42 as well.
            amounts.append(FoundAmount(int(match["whole"]), start, match.end(), total))
    return amounts + _subtotal_and_vat(text, amounts)


def _subtotal_and_vat(text: str, amounts: list[FoundAmount]) -> list[FoundAmount]:
    """What the subtotal and VAT lines add up to, as an amount found (at the VAT's place),
    when no amount found is that: the total, when OCR garbled the total line itself. Not a
    claimed total."""
    subtotal = vat = None
    for amount in amounts:
        line = _line_of(text, amount.start, amount.end)
        if _SUBTOTAL_LINE.search(line):
            subtotal = amount
        elif _VAT_LINE.search(line) and not _TOTAL_WORDS.search(line):
            vat = amount
    if subtotal is None or vat is None:
        return []
    if any(a.pence == subtotal.pence + vat.pence for a in amounts):
        return []  # the total is there as printed
    return [FoundAmount(subtotal.pence + vat.pence, vat.start, vat.end, total=False)]


def _line_of(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start : line_end if line_end >= 0 else len(text)]


def confusable(found_pence: int, typed_pence: int) -> bool:
    """Whether a total read as `found_pence` may be `typed_pence` misread: the same but for
    one digit of the pence, where the two digits are ones OCR takes for each other (1 and
    7, 3 and 8, ...). Never a difference of a pound or more."""
    found, typed = str(found_pence), str(typed_pence)
    if len(found) != len(typed) or len(found) < 3 or found[:-2] != typed[:-2]:
        return False
    differ = [(a, b) for a, b in zip(found[-2:], typed[-2:], strict=True) if a != b]
    return len(differ) == 1 and frozenset(differ[0]) in _CONFUSABLE_DIGITS


def claimed_amount(amounts: list[FoundAmount]) -> FoundAmount | None:
    """What the receipt is for: the last amount on a total line, or else the largest."""
    totals = [a for a in amounts if a.total]
    if totals:
        return totals[-1]
    return max(amounts, key=lambda a: a.pence, default=None)


def find_payee(text: str, top_lines: int = 6) -> str | None:
    """Who the receipt is from: among its first lines, one with a company suffix (Ltd,
    PLC, & Co, ...), or else the first that reads as a name (letters, no address, phone,
    date or amount)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    candidates = [
        line
        for line in lines
        if sum(c.isalpha() for c in line) >= 3 and not _NOT_PAYEE.search(line)
    ][:top_lines]
    named = [line for line in candidates if _PAYEE_SUFFIX.search(line)]
    if named:
        return named[0]
    first_lines = [line for line in lines if line][:top_lines]
    for line in candidates:
        if line in first_lines:
            return line
    return None


def _pence(match: re.Match[str]) -> int | None:
    whole = match["whole"].replace(",", "")
    if match["pence"] is not None:
        if match["separator"] == "," and "," in match["whole"]:
            return None  # "1,234,56" says nothing for sure
        return int(whole) * 100 + int(match["pence"])
    if match["p"]:
        return int(whole)
    if match["symbol"]:
        return int(whole) * 100
    return None


def _year(digits: str) -> int:
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _keep(
    found: dict[tuple[int, int], FoundDate], match: re.Match[str], y: int, m: int, d: int
) -> None:
    try:
        value = date(y, m, d)
    except ValueError:
        return
    if 1990 <= value.year <= 2100:
        found[(match.start(), match.end())] = FoundDate(value, match.start(), match.end())


def _date_digits(text: str) -> str:
    """The text with OCR's letter-for-digit slips undone inside date-like runs only."""
    return _DATE_LIKE_RUN.sub(lambda m: m[0].translate(_DIGIT_LOOKALIKES), text)
