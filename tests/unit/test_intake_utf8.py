"""A submission whose JSON is not UTF-8 is refused, never read as Latin-1."""

import json

from tests import receipt_files
from tests.unit.intake_support import BASE, OBLIGATION, Intake, line


async def test_a_submission_that_is_not_utf8_is_refused_naming_the_field(intake: Intake) -> None:
    body = json.dumps(
        {"declared_total_pence": 100, "receipts": [line("2026-08-01", 100, payee="Caf\u00e9")]},
        ensure_ascii=False,
    )
    latin_1 = body.encode("latin-1")  # "é" as the single byte 0xE9: not UTF-8
    refused = await intake.client.post(
        f"{BASE}/obligations/{OBLIGATION}/submissions",
        files=[
            ("submission", (None, latin_1, "application/json")),
            ("receipts", ("r.pdf", receipt_files.pdf(), "application/pdf")),
        ],
        headers={"Idempotency-Key": "latin-1"},
    )
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"code": "NOT_UTF8", "field": "submission", "detail": "submission is not UTF-8 text"}
    ]
    assert await intake.form_submitted() == []


async def test_the_same_text_in_utf8_is_taken(intake: Intake) -> None:
    taken = await intake.submit([line("2026-08-01", 100, payee="Caf\u00e9")])
    assert taken.status_code == 202, taken.text
