"""A form type as a department admin declares it (in YAML or JSON): its questions, the
receipts it needs, the totals rules between its answers, when its periods fall and fall
due, and when filers are reminded and escalated. This is a contract: cycles stores it,
and the services that check answers and receipts read the same model.

Validation is strict (no coercion: a number is not a string, "yes" is not true) and every
cross-reference is checked, so a definition that loads is one that can be applied."""

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cabinet_common.form_types.periods import Cadence, due_date

FieldKind = Literal["text", "number", "money", "date", "choice", "declaration"]

FieldId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=["box1"])]
Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$", examples=["travel"])]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class FormField(_Strict):
    id: FieldId
    label: Text = Field(description="The question as the filer sees it")
    short_label: Text | None = Field(
        default=None,
        description='How error messages name the field mid-sentence, e.g. "box 1"; '
        "defaults to the label",
    )
    hint: str = Field(default="", max_length=2000)
    kind: FieldKind
    required: bool = True
    choices: list[Text] = Field(default_factory=list, description="Only for kind: choice")
    allow_negative: bool = Field(default=False, description="Only for kinds number and money")

    @property
    def name(self) -> str:
        return self.short_label or self.label

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "choice":
            if not self.choices:
                raise ValueError(f"field {self.id}: a choice needs at least one choice")
            if repeated := _repeated(self.choices):
                raise ValueError(f"field {self.id}: choices repeated: {', '.join(repeated)}")
        elif self.choices:
            raise ValueError(f"field {self.id}: only a choice field has choices")
        if self.allow_negative and self.kind not in ("number", "money"):
            raise ValueError(f"field {self.id}: only number and money fields can be negative")
        if self.kind == "declaration" and not self.required:
            raise ValueError(f"field {self.id}: a declaration is always required")
        return self


class ReceiptRequirement(_Strict):
    category: Category
    min_count: int = Field(default=1, ge=1, le=1000)


_DERIVED = Field(
    default=False,
    description="Cabinet computes the target from the fields `of`: the filer is not asked "
    "for it, the pages show the computed figure, and a figure sent for it must equal it",
)


class SumRule(_Strict):
    """target = the sum of the fields `of`."""

    rule: Literal["sum"]
    target: FieldId
    of: list[FieldId] = Field(min_length=2)
    derived: bool = _DERIVED

    def money_fields(self) -> list[str]:
        return [self.target, *self.of]


class AbsDifferenceRule(_Strict):
    """target = |of[0] - of[1]|."""

    rule: Literal["abs_difference"]
    target: FieldId
    of: list[FieldId] = Field(min_length=2, max_length=2)
    derived: bool = _DERIVED

    def money_fields(self) -> list[str]:
        return [self.target, *self.of]


class WholePoundsRule(_Strict):
    """Each of the fields is a whole number of pounds (no pence)."""

    rule: Literal["whole_pounds"]
    fields: list[FieldId] = Field(min_length=1)

    def money_fields(self) -> list[str]:
        return list(self.fields)


class CategoryTotalRule(_Strict):
    """target = the sum of the receipt lines of one category."""

    rule: Literal["category_total"]
    target: FieldId
    category: Category

    def money_fields(self) -> list[str]:
        return [self.target]


class ReceiptsTotalRule(_Strict):
    """target = the sum of all the receipt lines."""

    rule: Literal["total_of_receipts"]
    target: FieldId

    def money_fields(self) -> list[str]:
        return [self.target]


Rule = Annotated[
    SumRule | AbsDifferenceRule | WholePoundsRule | CategoryTotalRule | ReceiptsTotalRule,
    Field(discriminator="rule"),
]


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
Rate = Annotated[str, Field(pattern=r"^[0-9]{1,6}(\.[0-9]{1,8})?$", examples=["0.8612"])]


class ReadingChecks(_Strict):
    """Read each receipt's document (a PDF's text, OCR of a photo or scan, a CSV's lines)
    and flag, for a caseworker, a typed line the document does not bear out. Flags never
    return a receipt by themselves."""

    amount_tolerance_pence: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="How far the typed amount may be from one the document shows "
        "(AMOUNT_NOT_ON_RECEIPT beyond it)",
    )
    date_tolerance_days: int = Field(
        default=0,
        ge=0,
        le=31,
        description="How many days the typed date may be from one the document shows "
        "(DATE_NOT_ON_RECEIPT beyond it)",
    )
    check_payee: bool = Field(default=True, description="Flag a payee the document does not name")
    payee_min_similarity: int = Field(
        default=80,
        ge=0,
        le=100,
        description="The least fuzzy similarity (0-100, case and punctuation aside) between "
        "the typed payee and a line of the document (PAYEE_NOT_ON_RECEIPT below it)",
    )
    min_word_confidence: int = Field(
        default=50,
        ge=0,
        le=100,
        description="The least mean OCR word confidence (0-100) for a document to count as "
        "legible (RECEIPT_NOT_READABLE below it)",
    )
    min_legible_words: int = Field(
        default=4,
        ge=0,
        le=1000,
        description="The fewest words of three or more letters or digits read with "
        "confidence for a document to count as legible",
    )


class ReceiptChecks(_Strict):
    """Which receipt checks apply to the form, and their thresholds. Every receipt is
    checked for a readable file, its date inside the period, its amount and currency, and
    a file already filed in the department; these settings tune the rest."""

    exchange_rates: dict[Currency, Rate] = Field(
        default_factory=dict,
        description="Pounds per unit of each other currency accepted (a decimal string, "
        'like "0.8612" for EUR): such a receipt is converted to pence (rounded half to '
        "even) and the rate recorded on its check. Receipts in any other currency than "
        "GBP and these are refused",
    )
    max_amount_pence: int | None = Field(
        default=None,
        ge=1,
        description="The most one receipt may be for, in pence (after conversion)",
    )
    refuse_future_dates: bool = Field(
        default=True, description="Refuse a receipt dated after the day it was submitted"
    )
    flag_possible_duplicates: bool = Field(
        default=True,
        description="Flag a receipt with the payee, amount and date of one filed by "
        "another filer of the department, for a caseworker to decide",
    )
    reading: ReadingChecks | None = Field(
        default=None,
        description="Read each receipt and compare it with its typed line (`reading: {}` "
        "for the default thresholds); off when absent, so a version published before "
        "reading existed is checked as it always was",
    )

    @model_validator(mode="after")
    def _no_rate_for_pounds(self) -> Self:
        if "GBP" in self.exchange_rates:
            raise ValueError("exchange_rates: GBP needs no rate")
        if any(Decimal(rate) == 0 for rate in self.exchange_rates.values()):
            raise ValueError("exchange_rates: a rate cannot be 0")
        return self


class DueRule(_Strict):
    """Due on the last day of the month `months_after_period_end` months after the period
    ends, plus `days_after` days (HMRC's VAT rule is 1 and 7: 30 June is due 7 August)."""

    months_after_period_end: int = Field(ge=0, le=12)
    days_after: int = Field(ge=0, le=366)

    def due_date(self, period_end: date) -> date:
        return due_date(period_end, self.months_after_period_end, self.days_after)


class FormTypeDefinition(_Strict):
    name: Text
    fields: list[FormField] = Field(min_length=1)
    required_receipts: list[ReceiptRequirement] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    receipt_checks: ReceiptChecks = Field(default_factory=ReceiptChecks)
    cadence: Cadence
    due_rule: DueRule
    reminder_ladder: list[Annotated[int, Field(ge=-366, le=366)]] = Field(
        default_factory=list,
        description="Days relative to the due date on which filers are reminded "
        "(negative: before it), in ascending order",
    )
    escalate_after_days_overdue: int = Field(ge=0, le=366)

    def field(self, field_id: str) -> FormField:
        return next(f for f in self.fields if f.id == field_id)

    @property
    def derived(self) -> "dict[str, SumRule | AbsDifferenceRule]":
        """The figures Cabinet computes (a rule with `derived: true`), by field id, in the
        order of the rules (each computed from fields asked for or computed before it)."""
        return {
            rule.target: rule
            for rule in self.rules
            if isinstance(rule, SumRule | AbsDifferenceRule) and rule.derived
        }

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if repeated := _repeated(f.id for f in self.fields):
            raise ValueError(f"field ids repeated: {', '.join(repeated)}")
        if repeated := _repeated(r.category for r in self.required_receipts):
            raise ValueError(f"required receipt categories repeated: {', '.join(repeated)}")
        if self.reminder_ladder != sorted(set(self.reminder_ladder)):
            raise ValueError("reminder_ladder must list days in ascending order, each once")
        problems = [
            f"rule {number} ({rule.rule}): {problem}"
            for number, rule in enumerate(self.rules, start=1)
            for problem in self._rule_problems(rule)
        ]
        problems.extend(self._derived_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _derived_problems(self) -> Iterator[str]:
        computed: set[str] = set()
        targets = [
            r.target for r in self.rules if isinstance(r, SumRule | AbsDifferenceRule) and r.derived
        ]
        if repeated := _repeated(targets):
            yield f"fields derived by more than one rule: {', '.join(repeated)}"
        for number, rule in enumerate(self.rules, start=1):
            if not isinstance(rule, SumRule | AbsDifferenceRule) or not rule.derived:
                continue
            if later := [f for f in rule.of if f in targets and f not in computed]:
                yield (
                    f"rule {number} ({rule.rule}): derived from {', '.join(later)}, which a "
                    "later rule derives (list the rule deriving a figure before those using it)"
                )
            computed.add(rule.target)

    def _rule_problems(self, rule: Rule) -> Iterator[str]:
        kinds = {f.id: f.kind for f in self.fields}
        for field_id in rule.money_fields():
            if field_id not in kinds:
                yield f"there is no field {field_id}"
            elif kinds[field_id] != "money":
                yield f"field {field_id} is {kinds[field_id]}, not money"
        if isinstance(rule, SumRule | AbsDifferenceRule):
            if rule.target in rule.of:
                yield f"field {rule.target} cannot be part of its own total"
            if repeated := _repeated(rule.of):
                yield f"fields repeated: {', '.join(repeated)}"
        elif isinstance(rule, WholePoundsRule) and (repeated := _repeated(rule.fields)):
            yield f"fields repeated: {', '.join(repeated)}"


def _repeated(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]
