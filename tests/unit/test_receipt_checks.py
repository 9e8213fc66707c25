"""The receipt checks as pure functions of a FormSubmitted and the department's filed files."""

import hashlib
from collections.abc import Mapping, Sequence

from hypothesis import given
from hypothesis import strategies as st

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_receipts.checks import check_submission

Code = types_pb2.ReasonCode
OK: list[int] = []
THIS_OBLIGATION = "obligation-this"
OTHER_OBLIGATION = "obligation-other"
PERIOD_START = "2026-07-01"
PERIOD_END = "2026-09-30"


def file_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def line(
    receipt_id: str, amount_pence: int, day: str = "2026-08-15", file: str | None = None
) -> submissions_pb2.ReceiptLine:
    return submissions_pb2.ReceiptLine(
        receipt_id=receipt_id,
        file_sha256=file_hash(file or receipt_id),
        media_type="application/pdf",
        size_bytes=1000,
        file_name=f"{receipt_id}.pdf",
        date=day,
        amount_pence=amount_pence,
        currency="GBP",
        payee="Stationers Ltd",
        category="office",
    )


def submitted(
    lines: Sequence[submissions_pb2.ReceiptLine], declared_total_pence: int | None = None
) -> submissions_pb2.FormSubmitted:
    if declared_total_pence is None:
        declared_total_pence = sum(x.amount_pence for x in lines)
    return submissions_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(
            obligation_id=THIS_OBLIGATION,
            department_id="dept",
            form_type_id="vat",
            filer_id="filer",
            period_key="2026-Q3",
        ),
        submission_id="submission-1",
        version=1,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        declared_total_pence=declared_total_pence,
        receipts=lines,
    )


def codes_by_receipt(checks: Sequence[receipts_pb2.ReceiptCheck]) -> dict[str, list[int]]:
    return {c.receipt_id: [r.code for r in c.reasons] for c in checks}


def check(
    form: submissions_pb2.FormSubmitted, first_filed_by: Mapping[str, str] | None = None
) -> tuple[dict[str, list[int]], list[int], list[receipts_pb2.ReceiptCheck]]:
    checks, submission_reasons = check_submission(form, first_filed_by or {})
    # A receipt is accepted exactly when it has no reason.
    for c in checks:
        assert c.accepted == (not c.reasons)
    return codes_by_receipt(checks), [r.code for r in submission_reasons], checks


def test_exact_total_is_accepted() -> None:
    form = submitted([line("a", 1234), line("b", 99_999), line("c", 1)], 101_234)
    by_receipt, submission, checks = check(form)
    assert by_receipt == {"a": OK, "b": OK, "c": OK}
    assert [c.receipt_id for c in checks] == ["a", "b", "c"]  # in submission order
    assert all(c.accepted for c in checks)
    assert submission == []


def test_one_penny_short_is_a_total_mismatch_of_the_submission() -> None:
    form = submitted([line("a", 1234), line("b", 100_000)], 101_233)
    by_receipt, submission, _ = check(form)
    assert submission == [Code.REASON_CODE_TOTAL_MISMATCH]
    assert by_receipt == {"a": OK, "b": OK}  # the lines themselves are fine


def test_one_penny_over_is_a_total_mismatch_with_amounts_in_the_message() -> None:
    form = submitted([line("a", 1234), line("b", 100_000)], 101_235)
    _, reasons = check_submission(form, {})
    assert [r.code for r in reasons] == [Code.REASON_CODE_TOTAL_MISMATCH]
    assert "£1,012.35" in reasons[0].message
    assert "£1,012.34" in reasons[0].message


def test_no_receipts_and_zero_declared_is_accepted() -> None:
    assert check_submission(submitted([], 0), {}) == ([], [])


def test_no_receipts_but_a_declared_total_is_a_mismatch() -> None:
    checks, reasons = check_submission(submitted([], 1), {})
    assert checks == []
    assert [r.code for r in reasons] == [Code.REASON_CODE_TOTAL_MISMATCH]


def test_dates_on_the_first_and_last_day_of_the_period_are_accepted() -> None:
    form = submitted([line("first", 100, PERIOD_START), line("last", 200, PERIOD_END)])
    by_receipt, submission, _ = check(form)
    assert by_receipt == {"first": OK, "last": OK}
    assert submission == []


def test_dates_a_day_outside_the_period_are_flagged() -> None:
    form = submitted(
        [
            line("before", 100, "2026-06-30"),
            line("inside", 200, "2026-08-01"),
            line("after", 300, "2026-10-01"),
        ]
    )
    by_receipt, submission, checks = check(form)
    assert by_receipt == {
        "before": [Code.REASON_CODE_DATE_OUTSIDE_PERIOD],
        "inside": OK,
        "after": [Code.REASON_CODE_DATE_OUTSIDE_PERIOD],
    }
    assert submission == []
    assert "30 June 2026" in checks[0].reasons[0].message


def test_file_first_filed_by_another_obligation_is_a_duplicate() -> None:
    form = submitted([line("a", 100, file="reused"), line("b", 200, file="fresh")])
    by_receipt, submission, _ = check(form, {file_hash("reused"): OTHER_OBLIGATION})
    assert by_receipt == {"a": [Code.REASON_CODE_DUPLICATE_RECEIPT], "b": OK}
    assert submission == []


def test_file_first_filed_by_this_obligation_is_no_duplicate() -> None:
    # An earlier version of this same obligation filed it: resubmitting it is fine.
    form = submitted([line("a", 100, file="mine"), line("b", 200, file="fresh")])
    by_receipt, submission, _ = check(form, {file_hash("mine"): THIS_OBLIGATION})
    assert by_receipt == {"a": OK, "b": OK}
    assert submission == []


def test_same_file_twice_in_one_submission_flags_the_second() -> None:
    form = submitted(
        [line("first", 100, file="same"), line("other", 50), line("second", 100, file="same")]
    )
    by_receipt, submission, _ = check(form)
    assert by_receipt == {
        "first": OK,
        "other": OK,
        "second": [Code.REASON_CODE_DUPLICATE_RECEIPT],
    }
    assert submission == []


def test_file_filed_elsewhere_and_repeated_is_flagged_once_per_line() -> None:
    form = submitted([line("first", 100, file="reused"), line("second", 100, file="reused")])
    by_receipt, _, _ = check(form, {file_hash("reused"): OTHER_OBLIGATION})
    assert by_receipt == {
        "first": [Code.REASON_CODE_DUPLICATE_RECEIPT],
        "second": [Code.REASON_CODE_DUPLICATE_RECEIPT],
    }


def test_reasons_accumulate_on_one_receipt_and_the_submission() -> None:
    form = submitted(
        [line("ok", 100), line("bad", 200, "2026-10-01", file="reused")], declared_total_pence=1
    )
    by_receipt, submission, _ = check(form, {file_hash("reused"): OTHER_OBLIGATION})
    assert by_receipt == {
        "ok": OK,
        "bad": [Code.REASON_CODE_DATE_OUTSIDE_PERIOD, Code.REASON_CODE_DUPLICATE_RECEIPT],
    }
    assert submission == [Code.REASON_CODE_TOTAL_MISMATCH]


# A receipt for nothing is INVALID_AMOUNT (tested in test_receipt_cases.py), so from 1p.
AMOUNTS = st.lists(st.integers(min_value=1, max_value=10**9), max_size=30)


@given(amounts=AMOUNTS)
def test_declared_total_equal_to_the_sum_gives_no_reason(amounts: list[int]) -> None:
    form = submitted([line(f"r{i}", a) for i, a in enumerate(amounts)], sum(amounts))
    checks, reasons = check_submission(form, {})
    assert reasons == []
    assert all(c.accepted for c in checks)


@given(
    amounts=AMOUNTS,
    difference=st.integers(min_value=-(10**9), max_value=10**9).filter(lambda d: d != 0),
)
def test_declared_total_different_from_the_sum_gives_one_mismatch(
    amounts: list[int], difference: int
) -> None:
    form = submitted([line(f"r{i}", a) for i, a in enumerate(amounts)], sum(amounts) + difference)
    checks, reasons = check_submission(form, {})
    assert [r.code for r in reasons] == [Code.REASON_CODE_TOTAL_MISMATCH]
    assert all(c.accepted for c in checks)  # the mismatch is the submission's, not a line's
