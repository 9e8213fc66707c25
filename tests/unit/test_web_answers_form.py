"""The web pages' reading of a form type: which questions share a page, money typed the
way people type it, and which of check_answers' problems each page shows."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabinet_common.form_types.answers import AnswerProblem, ProblemCode
from cabinet_common.form_types.money import format_pence, parse_pounds
from cabinet_web.answers_form import (
    answers_to_send,
    declaration_problem,
    form_problems,
    is_answered,
    normalise_money,
    page_of,
    page_problems,
    pence_of,
    plain_pounds,
    question_pages,
    read_page,
    reference_name,
    shown_answer,
)
from tests.unit.form_type_examples import example

VAT = example("vat-return")
EXPENSES = example("expenses")
VAT_PAGES = question_pages(VAT)
GOOD_VAT = {
    "box1": "1000",
    "box2": "0",
    "box3": "1000",
    "box4": "200",
    "box5": "800",
    "box6": "5000",
    "box7": "1000",
    "box8": "0",
    "box9": "0",
}


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("1234.56", 123456),
        ("£1,234.56", 123456),
        (" £ 1,234.56 ", 123456),
        ("600", 60000),
        ("0.5", 50),
        ("-£5", -500),
        ("£-5", -500),
        ("- £200", -20000),
        ("-0.05", -5),
    ],
)
def test_money_as_people_type_it(typed: str, pence: int) -> None:
    assert pence_of(typed) == pence


@pytest.mark.parametrize("typed", ["", "12abc", "£1,234.567", "1e5", "1,23", "££5", "--5", "$5"])
def test_not_money(typed: str) -> None:
    assert pence_of(typed) is None


def test_a_pound_sign_is_only_taken_off_the_front() -> None:
    assert normalise_money("£1,000") == "1,000"
    assert normalise_money("1000£") == "1000£"


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_plain_pounds_reads_back_to_the_same_pence(pence: int) -> None:
    assert pence_of(plain_pounds(pence)) == pence
    assert pence_of("£" + f"{abs(pence) // 100:,}.{abs(pence) % 100:02d}") == abs(pence)


def test_the_nine_boxes_are_two_pages_and_the_declaration_none() -> None:
    assert [p.field_ids() for p in VAT_PAGES] == [
        ["box1", "box2", "box3", "box4", "box5"],
        ["box6", "box7", "box8", "box9"],
    ]
    assert [p.heading for p in VAT_PAGES] == ["Box 1 to box 5", "Box 6 to box 9"]
    assert [p.page_id for p in VAT_PAGES] == ["box1", "box6"]


def test_other_questions_have_a_page_each() -> None:
    pages = question_pages(EXPENSES)
    assert [p.field_ids() for p in pages] == [
        ["cost_centre"],
        ["travel_total", "subsistence_total", "office_total", "claim_total"],
        ["notes"],
    ]
    assert pages[0].single and pages[0].heading == "Which cost centre should pay this claim?"
    # Short labels that read as phrases ("the travel total") do not name a page.
    assert pages[1].heading == "Amounts"
    assert page_of(pages, "office_total") == pages[1]
    assert page_of(pages, "declaration") is None


def test_reference_names() -> None:
    assert reference_name(VAT.field("box1")) == "Box 1"
    assert reference_name(EXPENSES.field("travel_total")) is None
    assert reference_name(EXPENSES.field("notes")) is None


def test_a_page_reads_only_its_own_questions() -> None:
    posted = {"box1": "1", "box6": "2", "csrftoken": "x", "action": "continue"}
    assert read_page(VAT_PAGES[0], posted) == {
        "box1": "1",
        "box2": "",
        "box3": "",
        "box4": "",
        "box5": "",
    }


def codes(problems: list[AnswerProblem]) -> dict[str | None, ProblemCode]:
    return {p.field_id: p.code for p in problems}


def test_a_page_shows_each_answer_problem_with_intakes_words() -> None:
    answers = {"box1": "12abc", "box2": "", "box3": "1e5", "box4": "-5", "box5": "-3"}
    problems = page_problems(VAT, VAT_PAGES, VAT_PAGES[0], answers)
    assert codes(problems) == {
        "box1": ProblemCode.NOT_MONEY,
        "box2": ProblemCode.REQUIRED,
        "box3": ProblemCode.NOT_MONEY,
        "box5": ProblemCode.NEGATIVE,
    }
    assert problems[1].message == "Enter box 2"


def test_a_page_shows_the_rules_it_can_judge() -> None:
    answers = {**GOOD_VAT, "box3": "999", "box6": "5000.50"}
    first = page_problems(VAT, VAT_PAGES, VAT_PAGES[0], answers)
    # Box 5 is worked out from box 3: only box 3, the first wrong figure, is reported.
    assert codes(first) == {"box3": ProblemCode.RULE_SUM}
    assert first[0].message == "Box 3 must equal box 1 plus box 2 (£1,000.00)"
    second = page_problems(VAT, VAT_PAGES, VAT_PAGES[1], answers)
    assert codes(second) == {"box6": ProblemCode.NOT_WHOLE_POUNDS}


def test_money_typed_with_a_pound_sign_passes_the_rules() -> None:
    answers = {**GOOD_VAT, "box1": "£1,000.00", "box3": "£1,000", "box4": "- £200", "box5": "1200"}
    assert page_problems(VAT, VAT_PAGES, VAT_PAGES[0], answers) == []


def test_a_rule_waits_for_a_question_on_a_later_page() -> None:
    pages = question_pages(EXPENSES)
    # The totals need receipts, which come after the questions: not judged on the page.
    answers = {"travel_total": "100", "subsistence_total": "0", "office_total": "0"}
    answers["claim_total"] = "100"
    assert page_problems(EXPENSES, pages, pages[1], answers) == []


def test_check_answers_judges_everything_but_the_declaration() -> None:
    answers = {"cost_centre": "policy", "travel_total": "100", "subsistence_total": "0"}
    answers |= {"office_total": "0", "claim_total": "100"}
    problems = form_problems(EXPENSES, answers, [])
    assert [p.code for p in problems] == [
        ProblemCode.RULE_CATEGORY_TOTAL,
        ProblemCode.RULE_TOTAL_OF_RECEIPTS,
        ProblemCode.MISSING_REQUIRED_RECEIPT,
    ]
    assert form_problems(EXPENSES, answers, [("travel", 10000)]) == []


def test_the_declaration_is_asked_on_its_own() -> None:
    problem = declaration_problem(VAT, {})
    assert problem is not None
    assert problem.message == "Confirm that the information is true and complete"
    assert declaration_problem(VAT, {"declaration": "yes"}) is None


def test_answers_are_sent_the_way_intake_stores_them() -> None:
    answers = {**GOOD_VAT, "box1": " £1,000 ", "box4": "- £200", "declaration": ""}
    sent = answers_to_send(VAT, answers)
    assert sent["box1"] == "1000.00"
    assert sent["box4"] == "-200.00"
    assert sent["declaration"] == "yes"
    notes = answers_to_send(EXPENSES, {"notes": "  ", "cost_centre": " policy "})
    assert "notes" not in notes
    assert notes["cost_centre"] == "policy"


def test_check_answers_shows_money_in_pounds() -> None:
    assert shown_answer(VAT.field("box4"), "-200") == "-£200.00"
    assert shown_answer(VAT.field("box1"), "12abc") == "12abc"
    assert shown_answer(EXPENSES.field("notes"), "") == ""


def test_answered() -> None:
    assert not is_answered(VAT, {"declaration": "yes", "box1": " "})
    assert is_answered(VAT, {"box1": "0"})


def test_a_derived_box_is_shown_worked_out_and_never_asked() -> None:
    # Issue 12 item 2: a form type deriving boxes 3 and 5: the page shows them computed.
    from cabinet_web.answers_form import derived_figures, form_problems
    from tests.unit.test_form_type_answers import DERIVED_VAT

    typed = {k: v for k, v in GOOD_VAT.items() if k not in ("box3", "box5")}
    shown = derived_figures(DERIVED_VAT, typed)
    assert shown["box3"] == format_pence(parse_pounds(GOOD_VAT["box3"].replace(",", "")))
    assert shown["box5"] == format_pence(parse_pounds(GOOD_VAT["box5"].replace(",", "")))
    assert derived_figures(DERIVED_VAT, {"box1": "10"}) == {"box3": "", "box5": ""}
    assert [
        p for p in form_problems(DERIVED_VAT, typed, []) if p.field_id in ("box3", "box5")
    ] == []
    sent = answers_to_send(DERIVED_VAT, typed)
    assert "box3" not in sent and "box5" not in sent  # intake computes them
