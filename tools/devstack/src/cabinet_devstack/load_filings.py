"""The filing the load runners (bench, chaos) send: a VAT return in the current quarter with
every question answered and one CSV receipt."""

from datetime import date
from typing import Any

from cabinet_common.form_types.periods import quarter_containing

PERIOD = quarter_containing(date.today())


def filing_body(i: int) -> dict[str, Any]:
    """The submission of filer i: every question of the VAT example answered, its rules kept."""
    return {
        "answers": {**{f"box{n}": "0" for n in range(1, 10)}, "declaration": "yes"},
        "declared_total_pence": 1234,
        "receipts": [
            {
                "date": PERIOD.start.isoformat(),
                "amount_pence": 1234,
                "payee": f"Payee {i}",  # else a possible duplicate
                "category": "x",
            }
        ],
    }


def receipt_csv(row_id: str) -> bytes:
    """A receipt file intake takes (only files that open: a CSV with a header row and one
    receipt row); distinct per row_id."""
    return f"receipt,id\nr,{row_id}\n".encode()
