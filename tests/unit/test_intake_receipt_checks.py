"""Intake keeps what the receipts check flagged and read on each receipt (from
ReceiptsChecked), so the caseworker's page shows the document's reading beside the typed
line: GET /submissions/{id} gives each receipt its flags and reading, per version."""

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet_common.events import Event
from cabinet_intake.event_handlers import on_receipts_checked
from tests.unit.intake_support import BASE, OBLIGATION, Intake, line

TEXT = "HARBOUR CAFE & CO\n3 Sep 2026\nTOTAL £45.00"


async def test_flags_and_the_reading_are_shown_on_the_receipt_they_concern(
    intake: Intake,
) -> None:
    sent = await intake.submit([line("2026-09-03", 45000, "Harbour Cafe"), line("2026-09-03", 100)])
    assert sent.status_code == 202, sent.text
    submission_id = sent.json()["submission_id"]
    flagged, plain = sent.json()["receipt_ids"]
    checked = receipts_pb2.ReceiptsChecked(
        obligation=types_pb2.ObligationRef(obligation_id=OBLIGATION),
        submission_id=submission_id,
        version=1,
        receipts=[
            receipts_pb2.ReceiptCheck(
                receipt_id=flagged,
                accepted=True,
                flags=[
                    types_pb2.Reason(
                        code=types_pb2.REASON_CODE_AMOUNT_NOT_ON_RECEIPT,
                        message="The receipt is for £45.00, not the £450.00 entered",
                    )
                ],
                reading=receipts_pb2.ReceiptReading(
                    readable=True,
                    method="ocr",
                    text=TEXT,
                    amounts=[receipts_pb2.FoundAmount(pence=4500, start=35, end=41, total=True)],
                    dates=[
                        receipts_pb2.FoundDate(
                            date="2026-09-03", start=18, end=28, matches_line=True
                        )
                    ],
                    payee="HARBOUR CAFE & CO",
                    confidence=91.5,
                    claimed_pence=4500,
                ),
            ),
            receipts_pb2.ReceiptCheck(receipt_id=plain, accepted=True),
        ],
    )
    async with intake.sessions() as session, session.begin():
        await on_receipts_checked(session, Event(payload=checked, key=OBLIGATION, source="/t"))

    body = (await intake.client.get(f"{BASE}/submissions/{submission_id}")).json()
    first, second = body["versions"][0]["receipts"]
    assert first["flags"] == [
        {
            "code": "AMOUNT_NOT_ON_RECEIPT",
            "message": "The receipt is for £45.00, not the £450.00 entered",
            "field_id": None,
        }
    ]
    reading = first["reading"]
    assert reading["text"][35:41] == "£45.00" and reading["amounts"][0]["total"] is True
    assert reading["dates"] == [
        {"date": "2026-09-03", "start": 18, "end": 28, "matches_line": True}
    ]
    assert reading["claimed_pence"] == 4500 and reading["payee"] == "HARBOUR CAFE & CO"
    assert second["flags"] == [] and second["reading"] is None
