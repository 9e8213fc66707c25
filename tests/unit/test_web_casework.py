"""The caseworker pages' pure helpers: how answers and files read, and how the decision
forms (return, extend) are checked and turned into what cycles is sent."""

from datetime import date
from typing import Any

import pytest

from cabinet.common.v1 import types_pb2
from cabinet_common.obligation_workflow import ReturnDecision
from cabinet_web.casework import (
    answer_rows,
    answer_text,
    check_new_due_date,
    check_reason,
    file_kind,
    file_size,
    money_answer,
    parse_date_input,
    read_return_form,
    return_field_names,
    viewer,
)
from cabinet_web.forms import Problems
from cabinet_web.reason_codes import (
    REASON_WORDS,
    RECEIPT_REASONS,
    SUBMISSION_REASONS,
    reason_items,
    reason_words,
)
from tests.unit.web_support import messages

RECEIPTS = ["r-one", "r-two"]


# Reason codes.


def test_every_reason_code_of_the_proto_has_words_and_no_more() -> None:
    codes = {
        name.removeprefix("REASON_CODE_")
        for name in types_pb2.ReasonCode.keys()  # noqa: SIM118 (an enum wrapper, not a dict)
        if name != "REASON_CODE_UNSPECIFIED"
    }
    assert set(REASON_WORDS) == codes
    assert set(RECEIPT_REASONS) <= codes
    assert set(SUBMISSION_REASONS) <= codes
    # Only "Other" is a reason about a receipt and about a whole return alike.
    assert set(RECEIPT_REASONS) & set(SUBMISSION_REASONS) == {"OTHER"}


def test_a_caseworker_has_a_persons_reasons_beside_the_checks() -> None:
    # Issue 12 item 5: the list had only the automatic codes.
    assert RECEIPT_REASONS[:2] == ("DOES_NOT_SUPPORT_CLAIM", "ILLEGIBLE")
    assert RECEIPT_REASONS[-1] == "OTHER"
    assert "POSSIBLE_DUPLICATE" in RECEIPT_REASONS
    words = [i["text"] for i in reason_items(RECEIPT_REASONS, "", "Select")]
    assert {"Does not support the claim", "Illegible", "Other (give details)"} <= set(words)
    assert reason_words("OTHER") == "Other"  # as a reason reads once given


def test_reason_words_and_select_items() -> None:
    assert reason_words("DATE_OUTSIDE_PERIOD") == "Dated outside the period"
    assert reason_words("SOMETHING_NEW") == "Something new"
    items = reason_items(("FUTURE_DATE", "INVALID_AMOUNT"), "INVALID_AMOUNT", "Select a reason")
    assert items[0] == {"value": "", "text": "Select a reason", "selected": False}
    assert [i["value"] for i in items if i["selected"]] == ["INVALID_AMOUNT"]
    assert reason_items(("FUTURE_DATE",), "", "Pick")[0]["selected"] is True


# Answers and files.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000", "£1,000.00"),
        ("-12.5", "-£12.50"),
        ("1,234.56", "£1,234.56"),
        ("£7", "£7.00"),
        ("0", "£0.00"),
        ("abc", "abc"),
        ("NaN", "NaN"),
    ],
)
def test_money_answers_read_as_pounds(value: str, expected: str) -> None:
    assert money_answer(value) == expected


def test_answer_text_by_kind() -> None:
    assert answer_text("money", "") == "Not answered"
    assert answer_text("declaration", "yes") == "Yes, declared"
    assert answer_text("date", "2026-11-03") == "3 November 2026"
    assert answer_text("date", "3/11/2026") == "3/11/2026"
    assert answer_text("choice", "Monthly") == "Monthly"


def test_answer_rows_follow_the_form_and_keep_unknown_answers() -> None:
    fields: list[dict[str, Any]] = [
        {"id": "box1", "label": "VAT due on sales", "short_label": "box 1", "kind": "money"},
        {"id": "notes", "label": "Notes", "kind": "text", "required": False},
        {"id": "declaration", "label": "I declare it true", "kind": "declaration"},
    ]
    rows = answer_rows(fields, {"declaration": "yes", "box1": "10", "extra": "x"})
    assert [(r["name"], r["label"], r["answer"]) for r in rows] == [
        ("Box 1", "VAT due on sales", "£10.00"),
        ("Notes", "", "Not answered"),
        ("Declaration", "I declare it true", "Yes, declared"),
        ("extra", "", "x"),
    ]


def test_files_read_the_govuk_way() -> None:
    assert file_size(1) == "1 byte"
    assert file_size(500) == "500 bytes"
    assert file_size(34 * 1024) == "34 KB"
    assert file_size(int(1.25 * 1024 * 1024)) == "1.2 MB"
    assert file_kind("application/pdf") == "PDF"
    assert file_kind("application/x-thing") == "application/x-thing"
    assert viewer("image/png") == viewer("image/jpeg") == "image"
    assert viewer("application/pdf") == "pdf"
    assert viewer("text/csv") is None


# The new due date.


@pytest.mark.parametrize(
    ("day", "month", "year", "error", "parts"),
    [
        ("", "", "", "Enter the new due date", ("day", "month", "year")),
        ("7", "", "", "The new due date must include a month and year", ("month", "year")),
        ("", "3", "2027", "The new due date must include a day", ("day",)),
        ("31", "2", "2027", "The new due date must be a real date", ("day", "month", "year")),
        ("x", "2", "2027", "The new due date must be a real date", ("day", "month", "year")),
        ("7", "Smarch", "2027", "The new due date must be a real date", ("day", "month", "year")),
        ("7", "3", "27", "Year must include 4 numbers", ("year",)),
    ],
)
def test_date_input_problems(
    day: str, month: str, year: str, error: str, parts: tuple[str, ...]
) -> None:
    answer = parse_date_input(day, month, year, "the new due date")
    assert (answer.value, answer.error, answer.parts) == (None, error, parts)


@pytest.mark.parametrize(("month"), ["3", "03", "March", "mar", " MAR "])
def test_date_input_reads_month_numbers_and_names(month: str) -> None:
    answer = parse_date_input(" 7", month, "2027 ", "the new due date")
    assert answer.value == date(2027, 3, 7) and answer.error is None


def test_new_due_date_must_be_later_than_the_current_one() -> None:
    current = date(2027, 2, 7)
    same = check_new_due_date(parse_date_input("7", "2", "2027", "the new due date"), current)
    assert same.error == "The new due date must be after 7 February 2027"
    later = check_new_due_date(parse_date_input("8", "2", "2027", "the new due date"), current)
    assert later.value == date(2027, 2, 8)
    blank = check_new_due_date(parse_date_input("", "", "", "the new due date"), current)
    assert blank.error == "Enter the new due date"


def test_a_decision_needs_a_reason_of_at_most_2000_characters() -> None:
    problems = Problems()
    assert check_reason(problems, "reason", "  ", "Enter why") == ""
    assert messages(problems) == {"reason": "Enter why"}
    problems = Problems()
    check_reason(problems, "reason", "x" * 2001, "Enter why")
    assert messages(problems) == {"reason": "The reason must be 2,000 characters or less"}
    problems = Problems()
    assert check_reason(problems, "reason", " Ceased trading ", "Enter why") == "Ceased trading"
    assert not problems


# Returning a submission.


def test_each_receipt_needs_accept_or_return() -> None:
    form = read_return_form(
        {"receipt-1-decision": "accept", "receipt-2-decision": "maybe"}, RECEIPTS
    )
    assert messages(form.problems) == {
        "receipt-2-decision": "Select accept or return for receipt 2"
    }


def test_a_returned_receipt_needs_a_listed_reason_and_a_note() -> None:
    form = read_return_form(
        {"receipt-1-decision": "return", "receipt-1-reason": "TOTAL_MISMATCH",
         "receipt-2-decision": "return", "receipt-2-reason": "FUTURE_DATE",
         "receipt-2-note": "x" * 1001},
        RECEIPTS,
    )  # fmt: skip
    assert messages(form.problems) == {
        "receipt-1-reason": "Select a reason for returning receipt 1",
        "receipt-1-note": "Enter a note for the filer about receipt 1",
        "receipt-2-note": "The note about receipt 2 must be 1,000 characters or less",
    }


def test_an_accepted_receipt_ignores_what_was_typed_for_returning_it() -> None:
    form = read_return_form(
        {"receipt-1-decision": "accept", "receipt-1-reason": "FUTURE_DATE",
         "receipt-2-decision": "return", "receipt-2-reason": "FUTURE_DATE",
         "receipt-2-note": " Dated next week "},
        RECEIPTS,
    )  # fmt: skip
    assert not form.problems
    action = form.action()
    assert action == {
        "reason": "receipt 2: Dated next week",
        "reasons": [],
        "receipts": [
            {
                "receipt_id": "r-two",
                "reasons": [{"code": "FUTURE_DATE", "message": "Dated next week"}],
            }
        ],
    }
    ReturnDecision.model_validate(action)  # what cycles takes


def test_a_persons_reason_needs_no_note_and_tells_the_filer_in_standard_words() -> None:
    form = read_return_form(
        {"receipt-1-decision": "return", "receipt-1-reason": "ILLEGIBLE",
         "receipt-2-decision": "return", "receipt-2-reason": "DOES_NOT_SUPPORT_CLAIM",
         "receipt-2-note": "It is for a meal, not the train fare."},
        RECEIPTS,
    )  # fmt: skip
    assert not form.problems
    action = form.action()
    assert action["receipts"] == [
        {"receipt_id": "r-one", "reasons": [{"code": "ILLEGIBLE", "message": (
            "We cannot read this receipt. Send a clearer copy, or leave it out.")}]},
        {"receipt_id": "r-two", "reasons": [{"code": "DOES_NOT_SUPPORT_CLAIM", "message": (
            "This receipt does not show the expense you claimed. Send one that does, or leave "
            "it out. It is for a meal, not the train fare.")}]},
    ]  # fmt: skip
    ReturnDecision.model_validate(action)


def test_other_needs_details_which_are_what_the_filer_reads() -> None:
    missing = read_return_form(
        {"receipt-1-decision": "return", "receipt-1-reason": "OTHER",
         "receipt-1-note": "   ", "receipt-2-decision": "accept"},
        RECEIPTS,
    )  # fmt: skip
    assert messages(missing.problems) == {
        "receipt-1-details": "Enter details for the filer about receipt 1"
    }
    too_long = read_return_form(
        {"receipt-1-decision": "return", "receipt-1-reason": "OTHER",
         "receipt-1-details": "d" * 1001, "receipt-2-decision": "accept"},
        RECEIPTS,
    )  # fmt: skip
    assert messages(too_long.problems) == {
        "receipt-1-details": "The details about receipt 1 must be 1,000 characters or less"
    }
    given = read_return_form(
        {"receipt-1-decision": "return", "receipt-1-reason": "OTHER",
         "receipt-1-details": " The receipt is made out to another business. ",
         "receipt-2-decision": "accept"},
        RECEIPTS,
    )  # fmt: skip
    assert not given.problems
    assert given.action()["receipts"] == [
        {"receipt_id": "r-one", "reasons": [
            {"code": "OTHER", "message": "The receipt is made out to another business."}]}
    ]  # fmt: skip


def test_other_about_the_whole_return_needs_its_note() -> None:
    form = read_return_form({"submission-reason": "OTHER"}, [])
    assert messages(form.problems) == {
        "submission-note": "Enter a note for the filer about the whole return"
    }


def test_something_must_be_returned() -> None:
    form = read_return_form(
        {"receipt-1-decision": "accept", "receipt-2-decision": "accept"}, RECEIPTS
    )
    nothing = "Return at least one receipt, or select a reason about the whole return"
    assert messages(form.problems) == {"submission-reason": nothing}


def test_a_reason_about_the_whole_return_needs_its_note_and_the_other_way_round() -> None:
    no_note = read_return_form({"submission-reason": "TOTAL_MISMATCH"}, [])
    assert messages(no_note.problems) == {
        "submission-note": "Enter a note for the filer about the whole return"
    }
    no_reason = read_return_form({"submission-note": "Box 3 is wrong"}, [])
    assert messages(no_reason.problems) == {
        "submission-reason": "Select a reason about the whole return"
    }
    not_listed = read_return_form({"submission-reason": "FUTURE_DATE", "submission-note": "x"}, [])
    assert messages(not_listed.problems) == {
        "submission-reason": "Select a reason about the whole return from the list"
    }


def test_a_whole_return_reason_with_a_note_for_the_record() -> None:
    form = read_return_form(
        {"receipt-1-decision": "accept", "receipt-2-decision": "accept",
         "submission-reason": "TOTAL_MISMATCH", "submission-note": "Box 3 is not box 1 + box 2",
         "note": "Phoned the filer"},
        RECEIPTS,
    )  # fmt: skip
    assert not form.problems
    action = form.action()
    assert action["reason"] == "Phoned the filer"
    assert action["reasons"] == [
        {"code": "TOTAL_MISMATCH", "message": "Box 3 is not box 1 + box 2"}
    ]
    assert action["receipts"] == []
    ReturnDecision.model_validate(action)


def test_the_note_for_the_record_is_at_most_2000_characters() -> None:
    form = read_return_form(
        {"submission-reason": "TOTAL_MISMATCH", "submission-note": "x", "note": "y" * 2001}, []
    )
    assert messages(form.problems) == {"note": "The note must be 2,000 characters or less"}


def test_the_summary_recorded_without_a_note_fits_the_workflow() -> None:
    long_note = "z" * 1000
    form = read_return_form(
        {f"receipt-{n}-{part}": value
         for n in (1, 2, 3)
         for part, value in (("decision", "return"), ("reason", "FUTURE_DATE"),
                             ("note", long_note))},
        ["a", "b", "c"],
    )  # fmt: skip
    assert not form.problems
    reason = form.action()["reason"]
    assert len(reason) == 2000 and reason.endswith("…")


def test_every_value_is_kept_for_the_page() -> None:
    form = read_return_form({"receipt-1-decision": "return", "receipt-1-note": "n"}, ["a"])
    assert form.values["receipt-1-note"] == "n"
    assert set(form.values) == set(return_field_names(1))


def test_a_returned_version_cannot_be_accepted_or_returned_again() -> None:
    # Issue 12 item 5: after returning, Accept and Return are no longer offered.
    from cabinet_web.pages.case import can_accept, can_return

    sent = {"version": 1, "returned": False}
    returned = {"version": 1, "returned": True}
    assert can_accept("checking", sent) and can_return("checking", sent)
    assert not can_accept("returned", returned) and not can_return("returned", returned)
    assert not can_accept("checking", None) and not can_return("accepted", sent)


def test_history_names_receipts_in_words_not_ids() -> None:
    # Issue 12 item 5: the history showed "receipt 6c0b4ef0-…".
    from cabinet_web.pages.case import history_words

    rid = "6c0b4ef0-1234-4abc-8def-0123456789ab"
    submission = {
        "versions": [
            {
                "version": 1,
                "receipts": [
                    {
                        "receipt_id": "00000000-0000-4000-8000-000000000000",
                        "payee": "A",
                        "amount_pence": 1,
                    },
                    {
                        "receipt_id": rid,
                        "payee": "Taxi Co",
                        "amount_pence": 4321,
                        "date": "2026-03-05",
                    },
                ],
            }
        ]
    }
    assert (
        history_words(f"Returned receipt {rid}: possible duplicate", submission)
        == "Returned receipt 2 of version 1 (Taxi Co, £43.21, 5 March 2026): possible duplicate"
    )
    other = "11111111-2222-4333-8444-555555555555"
    assert history_words(f"receipt {other}", submission) == "a receipt"
    assert history_words("Accepted", None) == "Accepted"
