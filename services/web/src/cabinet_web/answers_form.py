"""A form type's questions as web pages, and the answers posted to them: which questions
share a page, what a typed answer means, and which problems to show where. Every check is
cabinet_common's check_answers (the one intake runs), never a copy of it.

Pages: a run of consecutive money or number questions shares a page, up to
MAX_PER_PAGE of them (a VAT return's nine boxes are two pages, boxes 1 to 5 and 6 to 9);
any other question has a page of its own. The declaration is not a question page: it is
asked on the declaration step, just before sending."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cabinet_common.form_types.answers import (
    DECLARATION_ANSWER,
    AnswerProblem,
    ProblemCode,
    check_answers,
    with_derived,
)
from cabinet_common.form_types.definition import FormField, FormTypeDefinition
from cabinet_common.form_types.money import NotMoney, TooMuchMoney, format_pence, parse_pounds

MAX_PER_PAGE = 5
_ARTICLES = frozenset({"the", "a", "an", "that", "your", "any"})
_GROUPED_KINDS = frozenset({"money", "number"})
# Problems that need the receipts: shown once the receipts are added (check answers).
_RECEIPT_PROBLEMS = frozenset(
    {
        ProblemCode.RULE_CATEGORY_TOTAL,
        ProblemCode.RULE_TOTAL_OF_RECEIPTS,
        ProblemCode.MISSING_REQUIRED_RECEIPT,
    }
)


@dataclass(frozen=True)
class Page:
    """One question page: its fields, in the form's order, and its heading."""

    number: int
    fields: tuple[FormField, ...]
    heading: str

    @property
    def page_id(self) -> str:
        """Its part of the URL: the id of its first question."""
        return self.fields[0].id

    @property
    def single(self) -> bool:
        return len(self.fields) == 1

    def field_ids(self) -> list[str]:
        return [f.id for f in self.fields]


def reference_name(field: FormField) -> str | None:
    """How the form refers to a question when it has a name of its own, like "Box 1"
    (a short label that reads as a phrase, like "the travel total", is not one)."""
    label = field.short_label
    if not label or label.split()[0].lower() in _ARTICLES:
        return None
    return _capitalised(label)


def question_fields(definition: FormTypeDefinition) -> list[FormField]:
    return [f for f in definition.fields if f.kind != "declaration"]


def declaration_field(definition: FormTypeDefinition) -> FormField | None:
    return next((f for f in definition.fields if f.kind == "declaration"), None)


def question_pages(definition: FormTypeDefinition) -> list[Page]:
    groups: list[list[FormField]] = []
    for field in question_fields(definition):
        previous = groups[-1] if groups else None
        if (
            previous is not None
            and field.kind in _GROUPED_KINDS
            and previous[-1].kind in _GROUPED_KINDS
            and len(previous) < MAX_PER_PAGE
        ):
            previous.append(field)
        else:
            groups.append([field])
    grouped = sum(1 for fields in groups if len(fields) > 1)
    pages, group_number = [], 0
    for number, fields in enumerate(groups, start=1):
        if len(fields) > 1:
            group_number += 1
        pages.append(Page(number, tuple(fields), _heading(fields, group_number, grouped)))
    return pages


def _heading(fields: list[FormField], group_number: int, groups: int) -> str:
    """A single question's page is headed by the question; a group's by the names of its
    first and last ("Box 1 to box 5"), or else by what it asks for ("Amounts")."""
    if len(fields) == 1:
        return fields[0].label
    first, last = reference_name(fields[0]), reference_name(fields[-1])
    if first and last:
        return f"{first} to {last[:1].lower()}{last[1:]}"
    words = "Amounts" if all(f.kind == "money" for f in fields) else "Figures"
    return f"{words} ({group_number} of {groups})" if groups > 1 else words


def page_of(pages: Iterable[Page], field_id: str) -> Page | None:
    return next((p for p in pages if field_id in p.field_ids()), None)


def normalise_money(text: str) -> str:
    """A money answer as check_answers reads it: spaces and a pound sign tolerated
    ("£1,234.56", "- £5", "£-5"). Anything else is left for check_answers to refuse."""
    cleaned = "".join(text.split())
    sign = ""
    if cleaned.startswith("-"):
        sign, cleaned = "-", cleaned[1:]
    if cleaned.startswith("£"):
        cleaned = cleaned[1:]
        if not sign and cleaned.startswith("-"):
            sign, cleaned = "-", cleaned[1:]
    return sign + cleaned


def pence_of(text: str) -> int | None:
    """The pence of an amount typed in pounds, or None if it is not one."""
    try:
        return parse_pounds(normalise_money(text))
    except (NotMoney, TooMuchMoney):
        return None


def _for_checking(definition: FormTypeDefinition, answers: Mapping[str, str]) -> dict[str, str]:
    kinds = {f.id: f.kind for f in definition.fields}
    return {
        field_id: normalise_money(text) if kinds.get(field_id) == "money" else text.strip()
        for field_id, text in answers.items()
        if field_id in kinds
    }


def read_page(page: Page, posted: Mapping[str, str]) -> dict[str, str]:
    """The answers a page posted, by field id (a question left out is answered "", as a
    derived figure is: its page has no input for it, Cabinet computes it)."""
    return {f.id: str(posted.get(f.id, "")) for f in page.fields}


def derived_figures(definition: FormTypeDefinition, answers: Mapping[str, str]) -> dict[str, str]:
    """Each derived figure as the page shows it ("£1,000.50"), or "" while what it is
    worked out from is not all entered yet."""
    blank = {f: "" for f in definition.derived}
    completed = with_derived(definition, {**_for_checking(definition, answers), **blank})
    return {
        field_id: shown_answer(definition.field(field_id), completed.get(field_id, ""))
        for field_id in definition.derived
    }


def page_problems(
    definition: FormTypeDefinition, pages: list[Page], page: Page, answers: Mapping[str, str]
) -> list[AnswerProblem]:
    """The problems with a page's answers: each answer on its own, and the rules whose
    questions are all on this page or an earlier one (never one needing the receipts)."""
    asked = {f.id for p in pages if p.number <= page.number for f in p.fields}
    partial = definition.model_copy(
        update={
            "fields": [f for f in definition.fields if f.id in asked],
            "rules": [r for r in definition.rules if set(r.money_fields()) <= asked],
            "required_receipts": [],
        }
    )
    on_page = set(page.field_ids())
    return [
        problem
        for problem in check_answers(partial, _for_checking(partial, answers), [])
        if problem.field_id in on_page and problem.code not in _RECEIPT_PROBLEMS
    ]


def form_problems(
    definition: FormTypeDefinition,
    answers: Mapping[str, str],
    receipt_lines: Iterable[tuple[str, int]],
) -> list[AnswerProblem]:
    """Every problem with the answers and receipts, the declaration aside (it is asked
    last, on its own step)."""
    return [
        problem
        for problem in check_answers(definition, _for_checking(definition, answers), receipt_lines)
        if problem.code != ProblemCode.DECLARATION_REQUIRED
    ]


def declaration_problem(
    definition: FormTypeDefinition, answers: Mapping[str, str]
) -> AnswerProblem | None:
    field = declaration_field(definition)
    if field is None:
        return None
    problems = check_answers(definition, {field.id: answers.get(field.id, "")}, [])
    return next((p for p in problems if p.code == ProblemCode.DECLARATION_REQUIRED), None)


def answers_to_send(definition: FormTypeDefinition, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers as intake takes them: money as plain pounds and pence ("1234.56"),
    other answers trimmed, questions left blank left out, the declaration "yes"."""
    sent: dict[str, str] = {}
    for field in definition.fields:
        if field.kind == "declaration":
            sent[field.id] = DECLARATION_ANSWER
            continue
        text = answers.get(field.id, "").strip()
        if not text:
            continue
        pence = pence_of(text) if field.kind == "money" else None
        sent[field.id] = plain_pounds(pence) if pence is not None else text
    return sent


def plain_pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{remainder:02d}"


def shown_answer(field: FormField, text: str) -> str:
    """An answer as the check answers page shows it ("£1,234.56" for money)."""
    text = text.strip()
    if field.kind == "money" and text:
        pence = pence_of(text)
        return format_pence(pence) if pence is not None else text
    return text


def is_answered(definition: FormTypeDefinition, answers: Mapping[str, str]) -> bool:
    """Whether any question has an answer yet (a draft in progress)."""
    return any(answers.get(f.id, "").strip() for f in question_fields(definition))


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]
