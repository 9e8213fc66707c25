"""A table of receipt cases, each asserting the exact codes the receipts check gives, with
the form type's thresholds; and property tests of the totals arithmetic in pence."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabinet.common.v1 import types_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_receipts.checks import LineKey, check_submission
from cabinet_receipts.wording import payee_key
from tests.unit.form_type_examples import example

Code = types_pb2.ReasonCode
C = Code
THIS, OTHER = "obligation-this", "obligation-other"
# A spring quarter: British Summer Time starts at 01:00 UTC on Sunday 29 March 2026.
PERIOD = ("2026-01-01", "2026-03-31")


def line(
    receipt_id: str = "r1",
    day: str = "2026-02-10",
    pence: int = 1000,
    currency: str = "GBP",
    payee: str = "Stationers Ltd",
    category: str = "office",
    file: str | None = None,
    media_type: str = "application/pdf",
    size: int = 1000,
) -> submissions_pb2.ReceiptLine:
    return submissions_pb2.ReceiptLine(
        receipt_id=receipt_id,
        file_sha256=(file or receipt_id).ljust(64, "0"),
        media_type=media_type,
        size_bytes=size,
        file_name="receipt.pdf",
        date=day,
        amount_pence=pence,
        currency=currency,
        payee=payee,
        category=category,
    )


def form(
    lines: Sequence[submissions_pb2.ReceiptLine],
    declared: int | None = None,
    submitted_at: str = "2026-04-02T10:00:00Z",
    answers: Mapping[str, str] | None = None,
) -> submissions_pb2.FormSubmitted:
    submitted = submissions_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(obligation_id=THIS, department_id="d"),
        submission_id="s",
        version=1,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        declared_total_pence=sum(x.amount_pence for x in lines) if declared is None else declared,
        receipts=lines,
        answers=answers or {},
    )
    submitted.submitted_at.FromJsonString(submitted_at)
    return submitted


BOX1 = {"box1": "0"}  # the one question left on the form of with_checks()


def with_checks(**settings: object) -> FormTypeDefinition:
    base = example("vat-return").model_dump(mode="json")
    base["receipt_checks"] = settings
    definition = FormTypeDefinition.model_validate(base)
    # The VAT example's box rules need answers; these cases are about receipts only.
    return definition.model_copy(update={"rules": [], "fields": definition.fields[:1]})


@dataclass
class Case:
    lines: list[submissions_pb2.ReceiptLine]
    reasons: list[list[int]]  # per line
    submission: list[int] = field(default_factory=list)
    flags: list[list[int]] | None = None
    declared: int | None = None
    submitted_at: str = "2026-04-02T10:00:00Z"
    first_filed_by: dict[str, str] = field(default_factory=dict)
    lines_filed_by: dict[LineKey, set[str]] = field(default_factory=dict)
    definition: FormTypeDefinition | None = None


def filed_look(payee: str, day: str, pence: int, currency: str = "GBP") -> LineKey:
    return LineKey(payee_key(payee), day, pence, currency)


CASES = {
    "first day of the period": Case([line(day="2026-01-01")], [[]]),
    "last day of the period": Case([line(day="2026-03-31")], [[]]),
    "the day before the period": Case(
        [line(day="2025-12-31")], [[C.REASON_CODE_DATE_OUTSIDE_PERIOD]]
    ),
    "the day after the period": Case(
        [line(day="2026-04-01")], [[C.REASON_CODE_DATE_OUTSIDE_PERIOD]]
    ),
    # 23:30 UTC on 29 March 2026 is 00:30 BST on 30 March: a receipt of 30 March is not
    # from the future, and one of 31 March is.
    "the day of sending, just after midnight BST": Case(
        [line(day="2026-03-30")], [[]], submitted_at="2026-03-29T23:30:00Z"
    ),
    "the day after sending, just after midnight BST": Case(
        [line(day="2026-03-31")], [[C.REASON_CODE_FUTURE_DATE]], submitted_at="2026-03-29T23:30:00Z"
    ),
    # 00:30 UTC on 29 March is still GMT (00:30 in London): 29 March is today.
    "sent in the last GMT hour before the change": Case(
        [line(day="2026-03-29")], [[]], submitted_at="2026-03-29T00:30:00Z"
    ),
    "after the period and after sending": Case(
        [line(day="2026-05-01")],
        [[C.REASON_CODE_DATE_OUTSIDE_PERIOD, C.REASON_CODE_FUTURE_DATE]],
    ),
    "future dates allowed by the form type": Case(
        [line(day="2026-03-31")],
        [[]],
        submitted_at="2026-03-01T12:00:00Z",
        definition=with_checks(refuse_future_dates=False),
    ),
    "declared total 1p more": Case(
        [line(pence=1000)], [[]], [C.REASON_CODE_TOTAL_MISMATCH], declared=1001
    ),
    "declared total 1p less": Case(
        [line(pence=1000)], [[]], [C.REASON_CODE_TOTAL_MISMATCH], declared=999
    ),
    "a zero amount": Case([line(pence=0)], [[C.REASON_CODE_INVALID_AMOUNT]]),
    "over the form's limit by 1p": Case(
        [line(pence=50_001)],
        [[C.REASON_CODE_INVALID_AMOUNT]],
        definition=with_checks(max_amount_pence=50_000),
    ),
    "exactly the form's limit": Case(
        [line(pence=50_000)], [[]], definition=with_checks(max_amount_pence=50_000)
    ),
    "euros on a form that takes only pounds": Case(
        [line(currency="EUR")], [[C.REASON_CODE_CURRENCY_NOT_ACCEPTED]]
    ),
    "euros converted by the form's rate": Case(
        [line(pence=1000, currency="EUR")],
        [[]],
        declared=862,
        definition=with_checks(exchange_rates={"EUR": "0.8615"}),
    ),
    "dollars on a form that converts only euros": Case(
        [line(currency="USD")],
        [[C.REASON_CODE_CURRENCY_NOT_ACCEPTED]],
        definition=with_checks(exchange_rates={"EUR": "0.8615"}),
    ),
    "the same file filed by another filer (any quarter)": Case(
        [line(file="shared")],
        [[C.REASON_CODE_DUPLICATE_RECEIPT]],
        first_filed_by={"shared".ljust(64, "0"): OTHER},
    ),
    "the same file filed by this obligation's earlier version": Case(
        [line(file="mine")], [[]], first_filed_by={"mine".ljust(64, "0"): THIS}
    ),
    "the same file twice in one submission": Case(
        [line("a", file="f"), line("b", file="f", payee="Other")],
        [[], [C.REASON_CODE_DUPLICATE_RECEIPT]],
    ),
    "same payee, amount and date as another filer's receipt": Case(
        [line(payee="STATIONERS  LTD.")],
        [[]],
        flags=[[C.REASON_CODE_POSSIBLE_DUPLICATE]],
        lines_filed_by={filed_look("Stationers Ltd", "2026-02-10", 1000): {OTHER}},
    ),
    "a 1p different amount is no possible duplicate": Case(
        [line(pence=1001)],
        [[]],
        flags=[[]],
        lines_filed_by={filed_look("Stationers Ltd", "2026-02-10", 1000): {OTHER}},
    ),
    "a day apart is no possible duplicate": Case(
        [line(day="2026-02-11")],
        [[]],
        flags=[[]],
        lines_filed_by={filed_look("Stationers Ltd", "2026-02-10", 1000): {OTHER}},
    ),
    "a look-alike in this obligation's earlier version is fine": Case(
        [line()],
        [[]],
        flags=[[]],
        lines_filed_by={filed_look("Stationers Ltd", "2026-02-10", 1000): {THIS}},
    ),
    "two look-alike receipts in one submission": Case(
        [line("a"), line("b")], [[], []], flags=[[], [C.REASON_CODE_POSSIBLE_DUPLICATE]]
    ),
    "possible duplicates not flagged by this form": Case(
        [line("a"), line("b")],
        [[], []],
        flags=[[], []],
        definition=with_checks(flag_possible_duplicates=False),
    ),
    "an unreadable stored file": Case(
        [line(media_type="application/octet-stream")], [[C.REASON_CODE_UNREADABLE_FILE]]
    ),
    "an empty stored file": Case([line(size=0)], [[C.REASON_CODE_UNREADABLE_FILE]]),
    "everything wrong with one receipt": Case(
        [line(day="2026-06-01", pence=0, currency="XYZ", file="shared")],
        [
            [
                C.REASON_CODE_DATE_OUTSIDE_PERIOD,
                C.REASON_CODE_FUTURE_DATE,
                C.REASON_CODE_CURRENCY_NOT_ACCEPTED,
                C.REASON_CODE_INVALID_AMOUNT,
                C.REASON_CODE_DUPLICATE_RECEIPT,
            ]
        ],
        first_filed_by={"shared".ljust(64, "0"): OTHER},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_receipt_case(name: str) -> None:
    case = CASES[name]
    checks, submission_reasons = check_submission(
        form(
            case.lines, case.declared, case.submitted_at, answers=BOX1 if case.definition else None
        ),
        case.first_filed_by,
        case.definition,
        case.lines_filed_by,
    )
    assert [[r.code for r in c.reasons] for c in checks] == case.reasons
    assert [r.code for r in submission_reasons] == case.submission
    if case.flags is not None:
        assert [[f.code for f in c.flags] for c in checks] == case.flags
    for c in checks:
        assert c.accepted == (not c.reasons)
        assert all(r.message for r in [*c.reasons, *c.flags])


def test_a_converted_receipt_records_its_rate_and_pounds() -> None:
    checks, reasons = check_submission(
        form([line(pence=1000, currency="EUR")], declared=862, answers=BOX1),
        {},
        with_checks(exchange_rates={"EUR": "0.8615"}),
    )
    assert (checks[0].exchange_rate, checks[0].amount_gbp_pence) == ("0.8615", 862)
    assert reasons == []


def test_half_pennies_round_to_even() -> None:
    definition = with_checks(exchange_rates={"EUR": "0.5"})
    for pence, expected in [(1, 0), (3, 2), (5, 2), (7, 4)]:
        checks, _ = check_submission(form([line(pence=pence, currency="EUR")], 0), {}, definition)
        assert checks[0].amount_gbp_pence == expected


EXPENSES_ANSWERS = {
    "cost_centre": "operations",
    "travel_total": "12.50",
    "subsistence_total": "0",
    "office_total": "3.01",
    "claim_total": "15.51",
    "declaration": "yes",
}


def test_expenses_totals_per_category_and_in_total() -> None:
    expenses = example("expenses")
    lines = [
        line("t", pence=1250, category="travel", payee="Rail"),
        line("o", pence=301, category="office"),
    ]
    assert check_submission(form(lines, answers=EXPENSES_ANSWERS), {}, expenses)[1] == []

    off_by_1p = {**EXPENSES_ANSWERS, "office_total": "3.02", "claim_total": "15.52"}
    _, reasons = check_submission(form(lines, answers=off_by_1p), {}, expenses)
    assert [(r.code, r.field_id) for r in reasons] == [
        (C.REASON_CODE_TOTAL_MISMATCH, "office_total"),
        (C.REASON_CODE_TOTAL_MISMATCH, "claim_total"),
    ]
    assert "office supplies total must equal the total of the office receipts (£3.01)" in (
        reasons[0].message
    )


def test_a_missing_required_receipt() -> None:
    lines = [line("o", pence=301, category="office")]
    answers = {**EXPENSES_ANSWERS, "travel_total": "0", "claim_total": "3.01"}
    _, reasons = check_submission(form(lines, answers=answers), {}, example("expenses"))
    assert [r.code for r in reasons] == [C.REASON_CODE_MISSING_REQUIRED_RECEIPT]
    assert reasons[0].message == "Add a receipt in the travel category"


def test_other_rules_are_answer_not_accepted() -> None:
    vat = example("vat-return")
    answers = {f"box{n}": "0" for n in range(1, 10)} | {"box6": "10.50", "declaration": "yes"}
    _, reasons = check_submission(form([line()], answers=answers), {}, vat)
    assert [(r.code, r.field_id) for r in reasons] == [(C.REASON_CODE_ANSWER_NOT_ACCEPTED, "box6")]


AMOUNTS = st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=20)


@given(amounts=AMOUNTS, difference=st.integers(min_value=-(10**11), max_value=10**11))
def test_the_declared_total_matches_exactly_in_pence(amounts: list[int], difference: int) -> None:
    lines = [line(f"r{i}", pence=a, payee=f"p{i}") for i, a in enumerate(amounts)]
    _, reasons = check_submission(form(lines, declared=sum(amounts) + difference), {})
    assert [r.code for r in reasons] == ([] if difference == 0 else [C.REASON_CODE_TOTAL_MISMATCH])


@given(
    travel=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    office=st.lists(st.integers(min_value=1, max_value=10**9), max_size=8),
    off_by=st.sampled_from([0, 1, -1, 100]),
)
def test_category_totals_are_exact_in_pence(
    travel: list[int], office: list[int], off_by: int
) -> None:
    def pounds(pence: int) -> str:
        return f"{pence // 100}.{pence % 100:02d}"

    lines = [line(f"t{i}", pence=p, category="travel", payee=f"t{i}") for i, p in enumerate(travel)]
    lines += [
        line(f"o{i}", pence=p, category="office", payee=f"o{i}") for i, p in enumerate(office)
    ]
    total = sum(travel) + sum(office)
    answers = {
        **EXPENSES_ANSWERS,
        "travel_total": pounds(sum(travel)),
        "office_total": pounds(sum(office) + max(off_by, 0)),
        "claim_total": pounds(total + max(off_by, 0)),
    }
    _, reasons = check_submission(
        form(lines, declared=total, answers=answers), {}, example("expenses")
    )
    expected = [] if off_by <= 0 else [C.REASON_CODE_TOTAL_MISMATCH] * 2
    assert [r.code for r in reasons] == expected


def test_clock_change_day_is_read_in_london() -> None:
    # 2026-10-25 01:30 UTC is 01:30 GMT (clocks went back at 02:00 BST = 01:00 UTC).
    submitted = form([line(day="2026-02-10")], submitted_at="2026-10-25T01:30:00Z")
    assert submitted.submitted_at.ToDatetime().replace(tzinfo=None) == datetime(2026, 10, 25, 1, 30)
