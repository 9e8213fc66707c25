"""Checking a filer's answers against their form type: each answer on its own, then the
totals rules, then the receipts the form requires. Each problem names its field (none for
missing receipts), carries a stable code and a GOV.UK-style message; problems come in the
order of the questions on the form, then the form's own, then answers to no question.

Answers arrive as the strings a filer typed (HTML-form style). Money is parsed exactly
into integer pence (see money.py) and every total is compared in pence. A blank optional
money answer counts as nothing (£0.00) in the totals rules."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from cabinet_common.form_types.definition import (
    AbsDifferenceRule,
    CategoryTotalRule,
    FormField,
    FormTypeDefinition,
    ReceiptsTotalRule,
    Rule,
    SumRule,
    WholePoundsRule,
)
from cabinet_common.form_types.money import (
    MAX_POUND_DIGITS,
    NotMoney,
    TooMuchMoney,
    format_pence,
    parse_pounds,
)

_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DECLARATION_ANSWER = "yes"


class ProblemCode(StrEnum):
    REQUIRED = "REQUIRED"
    NOT_A_NUMBER = "NOT_A_NUMBER"
    NOT_MONEY = "NOT_MONEY"
    TOO_LARGE = "TOO_LARGE"
    NEGATIVE = "NEGATIVE"
    NOT_A_DATE = "NOT_A_DATE"
    NOT_A_CHOICE = "NOT_A_CHOICE"
    DECLARATION_REQUIRED = "DECLARATION_REQUIRED"
    NOT_WHOLE_POUNDS = "NOT_WHOLE_POUNDS"
    RULE_SUM = "RULE_SUM"
    RULE_ABS_DIFFERENCE = "RULE_ABS_DIFFERENCE"
    RULE_CATEGORY_TOTAL = "RULE_CATEGORY_TOTAL"
    RULE_TOTAL_OF_RECEIPTS = "RULE_TOTAL_OF_RECEIPTS"
    MISSING_REQUIRED_RECEIPT = "MISSING_REQUIRED_RECEIPT"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"


class AnswerProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    field_id: str | None  # None for a problem with the form as a whole (its receipts)
    code: ProblemCode
    message: str


class ReceiptLine(NamedTuple):
    category: str
    amount_pence: int


def with_derived(definition: FormTypeDefinition, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers with every derived figure the filer left blank computed by Cabinet (in
    pounds, like "1234.56"), where the figures it is computed from are money; a derived
    figure given is kept as given (check_answers holds it to its rule)."""
    completed = dict(answers)
    for target, rule in definition.derived.items():
        if completed.get(target, "").strip():
            continue
        inputs = [_pence_or_none(definition.field(f), completed.get(f, "")) for f in rule.of]
        if any(value is None for value in inputs):
            continue
        values = [value for value in inputs if value is not None]
        total = sum(values) if isinstance(rule, SumRule) else abs(values[0] - values[1])
        completed[target] = _pounds(total)
    return completed


def _pence_or_none(field: FormField, text: str) -> int | None:
    checked = _check_answer(field, text.strip())
    return checked if isinstance(checked, int) else None


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def check_answers(
    definition: FormTypeDefinition,
    answers: Mapping[str, str],
    receipt_lines: Iterable[tuple[str, int]],
) -> list[AnswerProblem]:
    """Every problem with the answers. Derived figures left blank are computed first
    (with_derived); a rule is not checked while a figure it is worked out from is wrong
    (the first wrong figure is the one reported: with box 3 wrong, box 5, worked out from
    box 3, is not called wrong too)."""
    answers = with_derived(definition, answers)
    lines = [ReceiptLine(*line) for line in receipt_lines]
    problems: list[AnswerProblem] = []
    pence: dict[str, int] = {}
    derived = definition.derived
    for field in definition.fields:
        if field.id in derived and not answers.get(field.id, "").strip():
            continue  # not computable: what it is computed from has a problem of its own
        checked = _check_answer(field, answers.get(field.id, "").strip())
        if isinstance(checked, AnswerProblem):
            problems.append(checked)
        elif checked is not None:
            pence[field.id] = checked
    problems.extend(_rule_problems(_Form(definition, pence, lines)))
    problems.extend(_missing_receipts(definition, lines))
    position = {field.id: number for number, field in enumerate(definition.fields)}
    problems.sort(key=lambda problem: position.get(problem.field_id or "", len(position)))
    problems.extend(
        AnswerProblem(
            field_id=field_id,
            code=ProblemCode.UNKNOWN_FIELD,
            message=f"There is no question {field_id} on this form",
        )
        for field_id in answers
        if field_id not in position
    )
    return problems


def _check_answer(field: FormField, text: str) -> AnswerProblem | int | None:
    """A problem, the pence of a money answer (0 when left blank and optional), or None."""

    def problem(code: ProblemCode, message: str) -> AnswerProblem:
        return AnswerProblem(field_id=field.id, code=code, message=message)

    name, sentence_name = field.name, _capitalised(field.name)
    if field.kind == "declaration":
        if text != DECLARATION_ANSWER:
            return problem(ProblemCode.DECLARATION_REQUIRED, f"Confirm {name}")
        return None
    if not text:
        if not field.required:
            return 0 if field.kind == "money" else None
        verb = "Select" if field.kind == "choice" else "Enter"
        return problem(ProblemCode.REQUIRED, f"{verb} {name}")
    negative = problem(ProblemCode.NEGATIVE, f"{sentence_name} must be 0 or more")
    match field.kind:
        case "money":
            try:
                amount = parse_pounds(text)
            except NotMoney:
                return problem(
                    ProblemCode.NOT_MONEY,
                    f"{sentence_name} must be an amount in pounds and pence, like 600 or 193.54",
                )
            except TooMuchMoney:
                return problem(
                    ProblemCode.TOO_LARGE,
                    f"{sentence_name} must be less than £{10**MAX_POUND_DIGITS:,}",
                )
            return negative if amount < 0 and not field.allow_negative else amount
        case "number":
            if _NUMBER.fullmatch(text) is None:
                return problem(
                    ProblemCode.NOT_A_NUMBER, f"{sentence_name} must be a number, like 12 or 3.5"
                )
            return negative if Decimal(text) < 0 and not field.allow_negative else None
        case "date":
            if _ISO_DATE.fullmatch(text) is None or not _is_real_date(text):
                return problem(
                    ProblemCode.NOT_A_DATE, f"{sentence_name} must be a real date, like 2026-03-31"
                )
            return None
        case "choice":
            if text not in field.choices:
                return problem(
                    ProblemCode.NOT_A_CHOICE,
                    f"{sentence_name} must be one of: {', '.join(field.choices)}",
                )
            return None
        case _:
            return None


def _rule_problems(form: "_Form") -> list[AnswerProblem]:
    """The rules' problems, leaving out a sum or difference worked out from a figure that
    another rule finds wrong (repeated until no more are left out: a chain of rules)."""
    rules = form.definition.rules
    found = {number: form.rule_problems(rule) for number, rule in enumerate(rules)}
    while True:
        wrong = {p.field_id for problems in found.values() for p in problems}
        skipped = [
            number
            for number, rule in enumerate(rules)
            if found[number]
            and isinstance(rule, SumRule | AbsDifferenceRule)
            and wrong.intersection(rule.of)
        ]
        if not skipped:
            break
        for number in skipped:
            found[number] = []
    return [problem for number in range(len(rules)) for problem in found[number]]


@dataclass(frozen=True)
class _Form:
    definition: FormTypeDefinition
    pence: Mapping[str, int]
    lines: list[ReceiptLine]

    def rule_problems(self, rule: Rule) -> list[AnswerProblem]:
        if isinstance(rule, WholePoundsRule):
            return [
                AnswerProblem(
                    field_id=field_id,
                    code=ProblemCode.NOT_WHOLE_POUNDS,
                    message=f"{_capitalised(self._name(field_id))} must be in whole pounds, "
                    "with no pence, like 600",
                )
                for field_id in rule.fields
                if self.pence.get(field_id, 0) % 100
            ]
        if not all(field_id in self.pence for field_id in rule.money_fields()):
            return []  # a field the rule needs already has a problem of its own
        match rule:
            case SumRule():
                expected = sum(self.pence[field_id] for field_id in rule.of)
                return self._unless_equal(
                    rule.target, expected, ProblemCode.RULE_SUM, f"must equal {self._sum(rule.of)}"
                )
            case AbsDifferenceRule():
                first, second = rule.of
                expected = abs(self.pence[first] - self.pence[second])
                return self._unless_equal(
                    rule.target,
                    expected,
                    ProblemCode.RULE_ABS_DIFFERENCE,
                    f"must be the difference between {self._name(first)} and {self._name(second)}",
                )
            case CategoryTotalRule():
                expected = sum(
                    line.amount_pence for line in self.lines if line.category == rule.category
                )
                return self._unless_equal(
                    rule.target,
                    expected,
                    ProblemCode.RULE_CATEGORY_TOTAL,
                    f"must equal the total of the {rule.category} receipts",
                )
            case ReceiptsTotalRule():
                expected = sum(line.amount_pence for line in self.lines)
                return self._unless_equal(
                    rule.target,
                    expected,
                    ProblemCode.RULE_TOTAL_OF_RECEIPTS,
                    "must equal the total of all the receipts",
                )

    def _unless_equal(
        self, target: str, expected: int, code: ProblemCode, requirement: str
    ) -> list[AnswerProblem]:
        if self.pence[target] == expected:
            return []
        message = f"{_capitalised(self._name(target))} {requirement} ({format_pence(expected)})"
        return [AnswerProblem(field_id=target, code=code, message=message)]

    def _name(self, field_id: str) -> str:
        return self.definition.field(field_id).name

    def _sum(self, field_ids: list[str]) -> str:
        names = [self._name(field_id) for field_id in field_ids]
        if len(names) == 2:
            return f"{names[0]} plus {names[1]}"
        return f"the total of {', '.join(names[:-1])} and {names[-1]}"


def _missing_receipts(
    definition: FormTypeDefinition, lines: list[ReceiptLine]
) -> list[AnswerProblem]:
    problems = []
    for requirement in definition.required_receipts:
        count = sum(1 for line in lines if line.category == requirement.category)
        if count >= requirement.min_count:
            continue
        if requirement.min_count == 1:
            message = f"Add a receipt in the {requirement.category} category"
        else:
            message = (
                f"Add at least {requirement.min_count} receipts in the "
                f"{requirement.category} category ({count} added)"
            )
        problems.append(
            AnswerProblem(field_id=None, code=ProblemCode.MISSING_REQUIRED_RECEIPT, message=message)
        )
    return problems


def _is_real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]
