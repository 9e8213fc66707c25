"""Checking answers against a form type: MTD's VAT rules and the expenses example's
per-category totals, exact to the penny, with a stable code and a GOV.UK-style message
for each problem."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabinet_common.form_types.answers import (
    AnswerProblem,
    ProblemCode,
    check_answers,
    with_derived,
)
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.form_types.money import parse_pounds
from tests.unit.form_type_examples import example, example_document

VAT = example("vat-return")
EXPENSES = example("expenses")
MAX_PENCE = 10**15 - 1  # 13 digits of pounds


def pounds(pence: int, grouped: bool = False) -> str:
    """How a filer would type the amount, e.g. -1234.05 or 1,234.05."""
    whole, remainder = divmod(abs(pence), 100)
    sign = "-" if pence < 0 else ""
    return f"{sign}{whole:,}.{remainder:02d}" if grouped else f"{sign}{whole}.{remainder:02d}"


def vat_return(**changes: str) -> dict[str, str]:
    answers = {
        "box1": "1000.00",
        "box2": "0.50",
        "box3": "1000.50",
        "box4": "200.25",
        "box5": "800.25",
        "box6": "5000",
        "box7": "1000",
        "box8": "0",
        "box9": "0.00",
        "declaration": "yes",
    }
    return answers | changes


def codes(problems: list[AnswerProblem]) -> list[tuple[str | None, ProblemCode]]:
    return [(p.field_id, p.code) for p in problems]


def test_a_correct_vat_return_has_no_problems() -> None:
    assert check_answers(VAT, vat_return(), []) == []


def test_box_3_one_penny_off_is_flagged_with_the_right_total() -> None:
    assert check_answers(VAT, vat_return(box3="1000.51", box5="800.26"), []) == [
        AnswerProblem(
            field_id="box3",
            code=ProblemCode.RULE_SUM,
            message="Box 3 must equal box 1 plus box 2 (£1,000.50)",
        )
    ]


def test_box_5_is_the_difference_whichever_way_round() -> None:
    reclaim = vat_return(box4="2000.75", box5="1000.25")
    assert check_answers(VAT, reclaim, []) == []
    assert check_answers(VAT, reclaim | {"box5": "1000.24"}, []) == [
        AnswerProblem(
            field_id="box5",
            code=ProblemCode.RULE_ABS_DIFFERENCE,
            message="Box 5 must be the difference between box 3 and box 4 (£1,000.25)",
        )
    ]


def test_box_5_cannot_be_negative_and_its_rule_waits_until_it_is_a_valid_amount() -> None:
    problems = check_answers(VAT, vat_return(box4="2000.75", box5="-1000.25"), [])
    assert problems == [
        AnswerProblem(field_id="box5", code=ProblemCode.NEGATIVE, message="Box 5 must be 0 or more")
    ]


@pytest.mark.parametrize("box", ["box6", "box7", "box8", "box9"])
def test_boxes_6_to_9_are_whole_pounds(box: str) -> None:
    assert check_answers(VAT, vat_return(**{box: "12.00"}), []) == []
    assert check_answers(VAT, vat_return(**{box: "-12"}), []) == []
    assert check_answers(VAT, vat_return(**{box: "12.01"}), []) == [
        AnswerProblem(
            field_id=box,
            code=ProblemCode.NOT_WHOLE_POUNDS,
            message=f"Box {box[-1]} must be in whole pounds, with no pence, like 600",
        )
    ]


def test_a_missing_box_is_asked_for_and_the_rules_that_need_it_wait() -> None:
    answers = vat_return()
    del answers["box1"]
    assert check_answers(VAT, answers, []) == [
        AnswerProblem(field_id="box1", code=ProblemCode.REQUIRED, message="Enter box 1")
    ]
    assert codes(check_answers(VAT, vat_return(box2="   "), [])) == [("box2", ProblemCode.REQUIRED)]


def test_the_declaration_must_be_made() -> None:
    expected = [
        AnswerProblem(
            field_id="declaration",
            code=ProblemCode.DECLARATION_REQUIRED,
            message="Confirm that the information is true and complete",
        )
    ]
    assert check_answers(VAT, vat_return(declaration="no"), []) == expected
    assert check_answers(VAT, vat_return(declaration=""), []) == expected


def test_problems_come_in_the_order_of_the_questions_then_unknown_answers() -> None:
    problems = check_answers(
        VAT, vat_return(box9="1.5", box1="lots", box6="7.10", box10="1", declaration="no"), []
    )
    assert codes(problems) == [
        ("box1", ProblemCode.NOT_MONEY),
        ("box6", ProblemCode.NOT_WHOLE_POUNDS),
        ("box9", ProblemCode.NOT_WHOLE_POUNDS),
        ("declaration", ProblemCode.DECLARATION_REQUIRED),
        ("box10", ProblemCode.UNKNOWN_FIELD),
    ]
    assert problems[0].message == "Box 1 must be an amount in pounds and pence, like 600 or 193.54"
    assert problems[-1].message == "There is no question box10 on this form"


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("1234.56", 123456),
        ("1234.5", 123450),
        ("1234", 123400),
        ("0.01", 1),
        ("1,000.00", 100000),
        ("12,345,678", 1234567800),
        (" 10.50 ", 1050),
        ("-0.01", -1),
        ("007", 700),
        ("9999999999999.99", 999999999999999),
    ],
)
def test_money_is_parsed_exactly_into_pence(typed: str, pence: int) -> None:
    assert parse_pounds(typed) == pence


def test_amounts_may_be_grouped_in_thousands() -> None:
    answers = vat_return(box1="1,000.00", box3="1,000.50", box6="5,000")
    assert check_answers(VAT, answers, []) == []


@pytest.mark.parametrize(
    "typed",
    [
        "12.345",  # a third decimal place: never rounded
        "1,00",
        "1,0000.00",
        ",100",
        "£10",
        "10p",
        "1e3",
        "1.",
        ".5",
        "--1",
        "+1",
        "1 000",
        "NaN",
        "Infinity",
        "\u0661\u0662",  # Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
    ],
)
def test_what_is_not_money_is_refused(typed: str) -> None:
    assert codes(check_answers(VAT, vat_return(box1=typed), [])) == [
        ("box1", ProblemCode.NOT_MONEY)
    ]


def test_too_much_money_is_refused() -> None:
    problems = check_answers(VAT, vat_return(box1="10000000000000"), [])
    assert problems == [
        AnswerProblem(
            field_id="box1",
            code=ProblemCode.TOO_LARGE,
            message="Box 1 must be less than £10,000,000,000,000",
        )
    ]


# Small enough that box 5 (up to twice box 3) stays within the largest amount.
amounts = st.integers(min_value=-(MAX_PENCE // 4), max_value=MAX_PENCE // 4)


@given(box1=amounts, box2=amounts, box4=amounts, grouped=st.booleans())
def test_vat_totals_are_exact_to_the_penny(box1: int, box2: int, box4: int, grouped: bool) -> None:
    box3 = box1 + box2
    answers = vat_return(
        box1=pounds(box1, grouped),
        box2=pounds(box2, grouped),
        box3=pounds(box3, grouped),
        box4=pounds(box4, grouped),
        box5=pounds(abs(box3 - box4), grouped),
    )
    assert check_answers(VAT, answers, []) == []
    one_penny_off = answers | {"box3": pounds(box3 + 1)}
    assert ("box3", ProblemCode.RULE_SUM) in codes(check_answers(VAT, one_penny_off, []))


@given(pence=st.integers(min_value=-MAX_PENCE, max_value=MAX_PENCE), grouped=st.booleans())
def test_typed_amounts_parse_back_to_their_pence(pence: int, grouped: bool) -> None:
    assert parse_pounds(pounds(pence, grouped)) == pence


def expenses_claim(**changes: str) -> dict[str, str]:
    answers = {
        "cost_centre": "policy",
        "travel_total": "21.49",
        "subsistence_total": "15.20",
        "office_total": "0",
        "claim_total": "36.69",
        "declaration": "yes",
    }
    return answers | changes


RECEIPTS = [("travel", 1250), ("travel", 899), ("subsistence", 1520)]


def test_a_correct_expenses_claim_has_no_problems() -> None:
    assert check_answers(EXPENSES, expenses_claim(notes=""), RECEIPTS) == []


def test_each_category_total_must_match_its_receipts() -> None:
    problems = check_answers(EXPENSES, expenses_claim(travel_total="21.48"), RECEIPTS)
    # Issue 12 item 2: the first wrong figure only. The total claimed is worked out from
    # the travel total, so it is not called wrong while that is.
    assert problems == [
        AnswerProblem(
            field_id="travel_total",
            code=ProblemCode.RULE_CATEGORY_TOTAL,
            message="The travel total must equal the total of the travel receipts (£21.49)",
        ),
    ]


def test_a_receipt_outside_the_categories_shows_in_the_claim_total() -> None:
    problems = check_answers(EXPENSES, expenses_claim(), [*RECEIPTS, ("hotel", 9000)])
    assert problems == [
        AnswerProblem(
            field_id="claim_total",
            code=ProblemCode.RULE_TOTAL_OF_RECEIPTS,
            message="The total claimed must equal the total of all the receipts (£126.69)",
        )
    ]


def test_a_claim_without_the_required_travel_receipt_is_flagged() -> None:
    answers = expenses_claim(travel_total="0", claim_total="15.20")
    assert check_answers(EXPENSES, answers, [("subsistence", 1520)]) == [
        AnswerProblem(
            field_id=None,
            code=ProblemCode.MISSING_REQUIRED_RECEIPT,
            message="Add a receipt in the travel category",
        )
    ]


def test_choices_are_selected_from_the_list() -> None:
    assert check_answers(EXPENSES, expenses_claim(cost_centre="finance"), RECEIPTS) == [
        AnswerProblem(
            field_id="cost_centre",
            code=ProblemCode.NOT_A_CHOICE,
            message="The cost centre must be one of: operations, policy, corporate services",
        )
    ]
    assert check_answers(EXPENSES, expenses_claim(cost_centre=""), RECEIPTS) == [
        AnswerProblem(
            field_id="cost_centre", code=ProblemCode.REQUIRED, message="Select the cost centre"
        )
    ]


def simple_form(*fields: dict[str, Any], **changes: Any) -> FormTypeDefinition:
    return FormTypeDefinition.model_validate(
        {
            "name": "Simple",
            "cadence": "calendar_quarters",
            "due_rule": {"months_after_period_end": 1, "days_after": 0},
            "escalate_after_days_overdue": 0,
            "fields": list(fields),
        }
        | changes
    )


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("3", None),
        ("3.5", None),
        ("-1", ProblemCode.NEGATIVE),
        ("-0", None),
        ("three", ProblemCode.NOT_A_NUMBER),
        ("3,5", ProblemCode.NOT_A_NUMBER),
        ("1e3", ProblemCode.NOT_A_NUMBER),
    ],
)
def test_numbers(typed: str, problem: ProblemCode | None) -> None:
    form = simple_form({"id": "staff", "label": "Staff", "kind": "number"})
    expected = [] if problem is None else [("staff", problem)]
    assert codes(check_answers(form, {"staff": typed}, [])) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("2026-03-31", None),
        ("2028-02-29", None),
        ("2026-02-29", ProblemCode.NOT_A_DATE),
        ("2026-3-31", ProblemCode.NOT_A_DATE),
        ("31/03/2026", ProblemCode.NOT_A_DATE),
        ("20260331", ProblemCode.NOT_A_DATE),
    ],
)
def test_dates(typed: str, problem: ProblemCode | None) -> None:
    form = simple_form({"id": "signed_on", "label": "Date signed", "kind": "date"})
    expected = [] if problem is None else [("signed_on", problem)]
    assert codes(check_answers(form, {"signed_on": typed}, [])) == expected


def test_a_blank_optional_amount_counts_as_nothing_in_the_totals() -> None:
    form = simple_form(
        {"id": "a", "label": "A", "kind": "money"},
        {"id": "b", "label": "B", "kind": "money", "required": False},
        {"id": "total", "label": "Total", "kind": "money"},
        rules=[{"rule": "sum", "target": "total", "of": ["a", "b"]}],
    )
    assert check_answers(form, {"a": "5", "total": "5.00"}, []) == []
    assert codes(check_answers(form, {"a": "5", "total": "6"}, [])) == [
        ("total", ProblemCode.RULE_SUM)
    ]


def test_several_receipts_required() -> None:
    form = simple_form(
        {"id": "note", "label": "Note", "kind": "text", "required": False},
        required_receipts=[{"category": "mileage", "min_count": 3}],
    )
    assert check_answers(form, {}, [("mileage", 100)]) == [
        AnswerProblem(
            field_id=None,
            code=ProblemCode.MISSING_REQUIRED_RECEIPT,
            message="Add at least 3 receipts in the mileage category (1 added)",
        )
    ]


def test_box_5_is_not_called_wrong_because_box_3_is() -> None:
    # Issue 12 item 2: box 5 right (box 3 should be 1000.50), box 3 wrong: box 3 only.
    problems = check_answers(VAT, vat_return(box3="999.00"), [])
    assert codes(problems) == [("box3", ProblemCode.RULE_SUM)]
    # Box 3 put right, a box 5 that is wrong is then reported.
    assert codes(check_answers(VAT, vat_return(box5="1.00"), [])) == [
        ("box5", ProblemCode.RULE_ABS_DIFFERENCE)
    ]


DERIVED_VAT = FormTypeDefinition.model_validate(
    example_document("vat-return")
    | {
        "rules": [
            {"rule": "sum", "target": "box3", "of": ["box1", "box2"], "derived": True},
            {"rule": "abs_difference", "target": "box5", "of": ["box3", "box4"], "derived": True},
            {"rule": "whole_pounds", "fields": ["box6", "box7", "box8", "box9"]},
        ]
    }
)


def test_derived_boxes_are_computed_by_cabinet() -> None:
    answers = {k: v for k, v in vat_return().items() if k not in ("box3", "box5")}
    completed = with_derived(DERIVED_VAT, answers)
    assert (completed["box3"], completed["box5"]) == ("1000.50", "800.25")
    assert check_answers(DERIVED_VAT, answers, []) == []
    # Given, a derived figure is held to its rule; blank inputs leave it blank, unreported.
    assert codes(check_answers(DERIVED_VAT, answers | {"box3": "1.00"}, [])) == [
        ("box3", ProblemCode.RULE_SUM)
    ]
    assert codes(check_answers(DERIVED_VAT, answers | {"box1": "x"}, [])) == [
        ("box1", ProblemCode.NOT_MONEY)
    ]
    # The example VAT return derives them; rules that do not say so (versions published
    # before derived figures) derive nothing.
    assert set(VAT.derived) == {"box3", "box5"}
    underived = [r.model_dump() | {"derived": False} for r in DERIVED_VAT.rules[:2]]
    document = example_document("vat-return") | {"rules": underived}
    assert FormTypeDefinition.model_validate(document).derived == {}


def test_a_derived_figure_is_derived_once_and_before_it_is_used() -> None:
    document = example_document("vat-return")
    for rules in (
        [
            {"rule": "abs_difference", "target": "box5", "of": ["box3", "box4"], "derived": True},
            {"rule": "sum", "target": "box3", "of": ["box1", "box2"], "derived": True},
        ],
        [
            {"rule": "sum", "target": "box3", "of": ["box1", "box2"], "derived": True},
            {"rule": "sum", "target": "box3", "of": ["box1", "box4"], "derived": True},
        ],
    ):
        with pytest.raises(ValueError, match="derived"):
            FormTypeDefinition.model_validate(document | {"rules": rules})
