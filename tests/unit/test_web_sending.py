"""What the web pages send to intake for a draft, and where intake's refusals are shown."""

from datetime import date
from typing import Any

from cabinet_common.problems import ProblemItem, refused
from cabinet_web import drafts
from cabinet_web.accounts import Role
from cabinet_web.backend import Refused
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import FILER, PAPER, Lane
from cabinet_web.journey.sending import refused_problems, submission_body
from cabinet_web.receipt_form import ReceiptLine
from cabinet_web.sessions import CurrentUser
from tests.unit.form_type_examples import example

EXPENSES = example("expenses")
FILER_USER = CurrentUser("filer-a", "Filer A", Role.FILER, "demo", "filer-a")
CASEWORKER = CurrentUser("cw-1", "Case Worker", Role.CASEWORKER, "demo", None)
OBLIGATION = {
    "obligation_id": "ob-1",
    "filer_id": "filer-a",
    "form_type_id": "expenses",
    "period_key": "FY2026-Q3",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "due_date": "2027-01-31",
    "status": "returned",
}
ANSWERS = {
    "cost_centre": "policy",
    "travel_total": "£100",
    "subsistence_total": "20.5",
    "office_total": "0",
    "claim_total": "120.50",
    "declaration": "yes",
}


def receipt(receipt_id: str, category: str, pence: int, returned: bool = False) -> dict[str, Any]:
    return {
        "receipt_id": receipt_id,
        "category": category,
        "amount_pence": pence,
        "returned": returned,
        "payee": "Payee",
        "date": "2026-10-02",
        "file_name": f"{receipt_id}.pdf",
    }


LATEST = {
    "version": 1,
    "returned": True,
    "answers": {},
    "return_reasons": [],
    "receipts": [
        receipt("kept", "subsistence", 2050),
        receipt("dropped", "office", 700),
        receipt("sent-back", "travel", 10000, returned=True),
    ],
}


def filing(lane: Lane, user: CurrentUser) -> Filing:
    correcting = Filing(
        lane=lane,
        user=user,
        obligation=OBLIGATION,
        submission_id="sub-1",
        acknowledgement_reference=None,
        form_type_version=1,
        definition=EXPENSES,
        latest=LATEST,
        draft=None,
        filer_name="Filer A",
    )
    draft = drafts.new_draft(correcting.draft_start())
    draft.answers = dict(ANSWERS)
    draft.keep_receipt_ids = ["kept"]
    held = drafts.hold_file(draft, "ticket.pdf", "application/pdf", b"%PDF-")
    drafts.complete_receipt(draft, held, ReceiptLine(date(2026, 10, 2), 10000, "GWR", "travel"))
    correcting.draft = draft
    return correcting


def test_a_correction_keeps_and_drops_by_id_and_sends_the_new_receipts() -> None:
    returned = filing(FILER, FILER_USER)
    assert returned.mode == "correct"
    assert returned.draft is not None
    body = submission_body(returned, returned.draft)
    assert body["answers"]["travel_total"] == "100.00"
    assert body["answers"]["declaration"] == "yes"
    assert body["keep_receipt_ids"] == ["kept"]
    assert body["drop_receipt_ids"] == ["dropped"]  # the returned one is named in neither
    assert body["receipts"] == [
        {
            "date": "2026-10-02",
            "amount_pence": 10000,
            "currency": "GBP",
            "payee": "GWR",
            "category": "travel",
        }
    ]
    assert body["declared_total_pence"] == 2050 + 10000
    assert "channel" not in body and "keyed_by" not in body


def test_a_paper_return_says_paper_and_leaves_who_keyed_it_to_the_token() -> None:
    keyed = filing(PAPER, CASEWORKER)
    assert keyed.draft is not None and keyed.draft.keyed_by == "cw-1"
    body = submission_body(keyed, keyed.draft)
    assert body["channel"] == "paper"
    assert "keyed_by" not in body


def test_a_draft_starts_from_the_returned_version() -> None:
    returned = filing(FILER, FILER_USER)
    start = returned.draft_start()
    assert start.based_on_version == 1
    assert start.keyed_by is None
    assert [r["receipt_id"] for r in returned.returned_receipts] == ["sent-back"]
    assert [r["receipt_id"] for r in returned.left_out_receipts] == ["dropped"]


def test_intakes_refusals_are_put_where_they_belong() -> None:
    added = filing(FILER, FILER_USER).added_receipts
    problem = refused(
        [
            ProblemItem(
                file=1,
                file_name="ticket.pdf",
                code="FILE_UNREADABLE",
                detail="The selected file could not be read (ticket.pdf, file 1)",
            ),
            ProblemItem(receipt_id="kept", code="RECEIPT_RETURNED", detail="You cannot keep"),
            ProblemItem(field="claim_total", code="NOT_MONEY", detail="Claim must be"),
            ProblemItem(code="FILES_TOO_LARGE", detail="Too large in total"),
        ]
    )
    answer = Refused(422, problem.document().model_dump(exclude_none=True))
    assert refused_problems(answer, added) == [
        {
            "field_id": None,
            "receipt_id": added[0].receipt_id,
            "message": "The selected file could not be read (ticket.pdf)",
        },
        {"field_id": None, "receipt_id": "kept", "message": "You cannot keep"},
        {"field_id": "claim_total", "receipt_id": None, "message": "Claim must be"},
        {"field_id": None, "receipt_id": None, "message": "Too large in total"},
    ]


def test_a_refusal_without_a_list_is_shown_whole() -> None:
    answer = Refused(422, {"code": "UNKNOWN_FIELD", "detail": "Extra inputs are not permitted"})
    assert refused_problems(answer, []) == [
        {"field_id": None, "receipt_id": None, "message": "Extra inputs are not permitted"}
    ]
