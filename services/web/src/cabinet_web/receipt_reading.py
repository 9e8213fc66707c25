"""A receipt's reading (what its document says, as the receipts service read it) for the
caseworker's pages: beside the typed line, with the amounts and dates found marked in the
document's text, the one that matches the typed line marked most."""

from typing import Any

from markupsafe import Markup, escape

from cabinet_web.formatting import long_date, money

METHODS = {"ocr": "read from the image", "text layer": "the PDF's text", "csv": "the CSV"}


def marked_text(text: str, found: list[dict[str, Any]]) -> Markup:
    """The text, escaped, with each found amount or date in a <mark> (class says which)."""
    parts: list[str | Markup] = []
    at = 0
    for item in sorted(found, key=lambda f: f["start"]):
        start, end = item["start"], item["end"]
        if start < at or end > len(text):
            continue  # overlapping or cut off: leave it unmarked
        kind = "match" if item.get("matches_line") else "total" if item.get("total") else "found"
        parts += [
            escape(text[at:start]),
            Markup('<mark class="app-reading-mark app-reading-mark--{}">{}</mark>').format(
                kind, text[start:end]
            ),
        ]
        at = end
    parts.append(escape(text[at:]))
    return Markup("").join(parts)


def reading_view(reading: dict[str, Any] | None, amount_pence: int) -> dict[str, Any] | None:
    """What the page shows of a reading; None for a receipt that was not read."""
    if not reading:
        return None
    amounts = reading.get("amounts", [])
    dates = reading.get("dates", [])
    matched = next((a for a in amounts if a.get("matches_line")), None)
    claimed = reading.get("claimed_pence") or 0
    if matched:
        amount = f"{money(matched['pence'])}, as entered"
    elif claimed:
        amount = f"{money(claimed)}, not the {money(amount_pence)} entered"
    else:
        amount = "No amount found"
    date_words = ", ".join(long_date(d["date"]) for d in dates) or "No date found"
    method = " and ".join(METHODS.get(m, m) for m in reading.get("method", "").split("+"))
    return {
        "readable": reading.get("readable", False),
        "problem": reading.get("problem", ""),
        "amount": amount,
        "dates": date_words,
        "payee": reading.get("payee") or "Not found",
        "how": f"{method}, confidence {round(reading.get('confidence', 0))}%"
        if reading.get("method") == "ocr"
        else method,
        "text": marked_text(reading.get("text", ""), [*amounts, *dates]),
    }
