"""Form type definitions: the shipped examples load, and a definition that could not be
applied is refused with a message that says what to fix."""

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from cabinet_common.form_types.definition import (
    AbsDifferenceRule,
    FormTypeDefinition,
    SumRule,
    WholePoundsRule,
)
from tests.unit.form_type_examples import example


def money(field_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": field_id, "label": f"Label of {field_id}", "kind": "money", **extra}


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Test return",
        "cadence": "calendar_quarters",
        "due_rule": {"months_after_period_end": 1, "days_after": 7},
        "reminder_ladder": [-14, 0, 3],
        "escalate_after_days_overdue": 15,
        "fields": [money("box1"), money("box2"), money("box3")],
        "rules": [{"rule": "sum", "target": "box3", "of": ["box1", "box2"]}],
    }
    return base | changes


def refusal(document: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        FormTypeDefinition.model_validate(document)
    return str(refused.value)


def test_the_vat_example_has_mtds_nine_boxes_and_rules() -> None:
    vat = example("vat-return")
    assert [f.id for f in vat.fields] == [*(f"box{n}" for n in range(1, 10)), "declaration"]
    assert vat.cadence == "calendar_quarters"
    assert vat.reminder_ladder == [-14, -3, 0, 3, 15]
    assert vat.escalate_after_days_overdue == 15
    assert vat.due_rule.due_date(date(2026, 6, 30)) == date(2026, 8, 7)
    assert vat.due_rule.due_date(date(2026, 3, 31)) == date(2026, 5, 7)
    assert vat.rules == [
        SumRule(rule="sum", target="box3", of=["box1", "box2"], derived=True),
        AbsDifferenceRule(rule="abs_difference", target="box5", of=["box3", "box4"], derived=True),
        WholePoundsRule(rule="whole_pounds", fields=["box6", "box7", "box8", "box9"]),
    ]


def test_the_expenses_example_totals_each_category() -> None:
    expenses = example("expenses")
    assert expenses.cadence == "fiscal_quarters_april"
    assert {r.rule for r in expenses.rules} == {"category_total", "sum", "total_of_receipts"}
    assert [r.category for r in expenses.required_receipts] == ["travel"]


def test_a_definition_survives_a_round_trip_through_json() -> None:
    vat = example("vat-return")
    assert FormTypeDefinition.model_validate_json(vat.model_dump_json()) == vat


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"fields": [money("box1"), money("box1"), money("box2"), money("box3")]},
            "field ids repeated: box1",
        ),
        (
            {"rules": [{"rule": "sum", "target": "box3", "of": ["box1", "box9"]}]},
            "rule 1 (sum): there is no field box9",
        ),
        (
            {
                "fields": [
                    money("box1"),
                    {"id": "box2", "label": "Box 2", "kind": "text"},
                    money("box3"),
                ]
            },
            "rule 1 (sum): field box2 is text, not money",
        ),
        (
            {"rules": [{"rule": "sum", "target": "box3", "of": ["box3", "box1"]}]},
            "field box3 cannot be part of its own total",
        ),
        (
            {"rules": [{"rule": "sum", "target": "box3", "of": ["box1", "box1"]}]},
            "rule 1 (sum): fields repeated: box1",
        ),
        (
            {"rules": [{"rule": "abs_difference", "target": "box3", "of": ["box1"]}]},
            "List should have at least 2 items",
        ),
        (
            {"rules": [{"rule": "whole_pounds", "fields": ["box1", "nope"]}]},
            "rule 1 (whole_pounds): there is no field nope",
        ),
        (
            {"rules": [{"rule": "category_total", "target": "box9", "category": "travel"}]},
            "rule 1 (category_total): there is no field box9",
        ),
        (
            {"rules": [{"rule": "average", "target": "box3", "of": ["box1", "box2"]}]},
            "does not match any of the expected tags",
        ),
        (
            {"fields": [{"id": "colour", "label": "Colour", "kind": "choice"}], "rules": []},
            "field colour: a choice needs at least one choice",
        ),
        (
            {
                "fields": [
                    {"id": "colour", "label": "Colour", "kind": "choice", "choices": ["a", "a"]}
                ],
                "rules": [],
            },
            "field colour: choices repeated: a",
        ),
        (
            {
                "fields": [{"id": "note", "label": "Note", "kind": "text", "choices": ["a"]}],
                "rules": [],
            },
            "field note: only a choice field has choices",
        ),
        (
            {
                "fields": [{"id": "on", "label": "On", "kind": "date", "allow_negative": True}],
                "rules": [],
            },
            "field on: only number and money fields can be negative",
        ),
        (
            {
                "fields": [
                    {"id": "truth", "label": "It is true", "kind": "declaration", "required": False}
                ],
                "rules": [],
            },
            "field truth: a declaration is always required",
        ),
        (
            {"fields": [{"id": "x", "label": "X", "kind": "colour"}], "rules": []},
            "Input should be 'text', 'number', 'money', 'date', 'choice' or 'declaration'",
        ),
        ({"fields": [money("Box 1")], "rules": []}, "String should match pattern"),
        ({"fields": [], "rules": []}, "List should have at least 1 item"),
        ({"reminder_ladder": [0, -3]}, "reminder_ladder must list days in ascending order"),
        ({"reminder_ladder": [3, 3]}, "reminder_ladder must list days in ascending order"),
        (
            {"required_receipts": [{"category": "travel"}, {"category": "travel"}]},
            "required receipt categories repeated: travel",
        ),
        ({"cadence": "monthly"}, "'calendar_quarters' or 'fiscal_quarters_april'"),
        ({"due_rule": {"months_after_period_end": 13, "days_after": 7}}, "less than or equal"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
        # Strict: no guessing that a string was meant as a number, or "yes" as true.
        ({"escalate_after_days_overdue": "15"}, "Input should be a valid integer"),
        ({"fields": [money("box1", required="yes")], "rules": []}, "valid boolean"),
    ],
)
def test_a_definition_that_cannot_be_applied_is_refused(
    changes: dict[str, Any], message: str
) -> None:
    assert message in refusal(document(**changes))


def test_every_broken_rule_is_reported_at_once() -> None:
    refused = refusal(
        document(
            rules=[
                {"rule": "sum", "target": "box3", "of": ["box1", "nope"]},
                {"rule": "abs_difference", "target": "gone", "of": ["box1", "box2"]},
            ]
        )
    )
    assert "rule 1 (sum): there is no field nope" in refused
    assert "rule 2 (abs_difference): there is no field gone" in refused
