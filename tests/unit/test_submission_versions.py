"""The pure parts of targeted resubmission: which receipts of the latest version the next
version keeps (or why not), what each version's returns said, and the diff of two versions."""

from datetime import UTC, date, datetime

import pytest

from cabinet_intake.schemas import ReasonOut, ReceiptLineIn, ReceiptOut, SubmissionIn, VersionOut
from cabinet_intake.submissions import (
    UploadedFile,
    content_sha256,
    request_sha256,
    submission_sha256,
)
from cabinet_intake.tables import ReturnedReceipt, StoredReceipt, SubmissionReturn
from cabinet_intake.tables import SubmissionVersion as VersionRow
from cabinet_intake.versions import (
    KeepProblemCode,
    KeepRefused,
    diff,
    kept_receipts,
    returned_receipts,
    version_out,
)

OUTSIDE = ReasonOut(
    code="DATE_OUTSIDE_PERIOD",
    message="The receipt is dated 1 October 2026, outside the period 1 July 2026 to "
    "30 September 2026",
)


def receipt(receipt_id: str, pence: int = 1000, payee: str = "Stationers Ltd") -> ReceiptOut:
    return ReceiptOut(
        receipt_id=receipt_id,
        file_sha256=receipt_id[0] * 64,
        media_type="application/pdf",
        size_bytes=1234,
        file_name=f"{receipt_id}.pdf",
        date=date(2026, 8, 1),
        amount_pence=pence,
        currency="GBP",
        payee=payee,
        category="office",
    )


def returned(r: ReceiptOut, *reasons: ReasonOut) -> ReceiptOut:
    return r.model_copy(update={"returned": True, "return_reasons": list(reasons or [OUTSIDE])})


def version(number: int, *receipts: ReceiptOut, **answers: str) -> VersionOut:
    return VersionOut(
        version=number,
        submission_sha256="0" * 64,
        submitted_at=datetime(2026, 9, 1, tzinfo=UTC),
        answers=answers or {"box1": "100"},
        declared_total_pence=sum(r.amount_pence for r in receipts),
        receipts=list(receipts),
    )


GOOD, BAD, OTHER = receipt("a-good"), receipt("b-bad", 500, "Rail"), receipt("c-other", 250)
V1 = version(1, GOOD, returned(BAD), OTHER)


def codes(error: pytest.ExceptionInfo[KeepRefused]) -> list[tuple[str | None, str]]:
    return [(p.receipt_id, p.code.value) for p in error.value.problems]


# Which receipts the next version keeps


def test_keeps_the_named_receipts_in_the_latest_versions_order() -> None:
    kept = kept_receipts(V1, returned_receipts([V1]), ["c-other", "a-good"], None)
    assert [r.receipt_id for r in kept] == ["a-good", "c-other"]
    assert kept[0] == GOOD  # the same id, file and line


def test_a_returned_receipt_needs_no_mention_to_be_left_out() -> None:
    kept = kept_receipts(V1, returned_receipts([V1]), ["a-good"], ["c-other"])
    assert [r.receipt_id for r in kept] == ["a-good"]


def test_keeping_a_returned_receipt_is_refused_naming_it_and_why() -> None:
    with pytest.raises(KeepRefused) as refused:
        kept_receipts(V1, returned_receipts([V1]), ["a-good", "b-bad", "c-other"], None)
    assert codes(refused) == [("b-bad", KeepProblemCode.RECEIPT_RETURNED)]
    message = refused.value.problems[0].message
    assert message.startswith("You cannot keep receipt b-bad (Rail, £5.00, 1 August 2026)")
    assert "returned with version 1 (The receipt is dated 1 October 2026" in message
    assert "Send a new line and file in its place" in message


def test_a_receipt_returned_with_an_older_version_cannot_be_kept_either() -> None:
    # Kept into version 2 before the return of version 1 was known.
    v2 = version(2, GOOD, BAD)
    with pytest.raises(KeepRefused) as refused:
        kept_receipts(v2, returned_receipts([V1, v2]), ["a-good", "b-bad"], None)
    assert codes(refused) == [("b-bad", KeepProblemCode.RECEIPT_RETURNED)]


def test_every_receipt_not_returned_must_be_kept_or_dropped_by_name() -> None:
    with pytest.raises(KeepRefused) as refused:
        kept_receipts(V1, returned_receipts([V1]), [], None)
    assert codes(refused) == [
        ("a-good", KeepProblemCode.RECEIPT_NOT_KEPT_OR_DROPPED),
        ("c-other", KeepProblemCode.RECEIPT_NOT_KEPT_OR_DROPPED),
    ]
    assert "name it in keep_receipt_ids to keep it or in drop_receipt_ids" in (
        refused.value.problems[0].message
    )


def test_dropping_everything_not_returned_keeps_nothing() -> None:
    assert kept_receipts(V1, returned_receipts([V1]), None, ["a-good", "c-other", "b-bad"]) == []


def test_receipts_not_in_the_latest_version_are_refused() -> None:
    v2 = version(2, GOOD)
    with pytest.raises(KeepRefused) as refused:
        kept_receipts(v2, returned_receipts([V1, v2]), ["a-good", "c-other"], ["nope"])
    assert codes(refused) == [
        ("c-other", KeepProblemCode.UNKNOWN_RECEIPT),
        ("nope", KeepProblemCode.UNKNOWN_RECEIPT),
    ]
    assert "is not a receipt of version 2, the latest" in refused.value.problems[0].message


def test_a_receipt_named_twice_is_refused() -> None:
    with pytest.raises(KeepRefused) as refused:
        kept_receipts(V1, returned_receipts([V1]), ["a-good", "c-other"], ["a-good"])
    assert codes(refused) == [("a-good", KeepProblemCode.RECEIPT_NAMED_TWICE)]


def test_keeping_without_an_earlier_version_is_refused() -> None:
    with pytest.raises(KeepRefused) as refused:
        kept_receipts(None, {}, ["a-good"], None)
    assert codes(refused) == [(None, KeepProblemCode.NO_EARLIER_VERSION)]


def test_a_whole_version_returned_without_receipts_lets_every_receipt_be_kept() -> None:
    # A caseworker's return (or a wrong total) names no receipt.
    v1 = version(1, GOOD, BAD).model_copy(
        update={"returned": True, "return_reasons": [ReasonOut(code="X", message="m")]}
    )
    kept = kept_receipts(v1, returned_receipts([v1]), ["a-good", "b-bad"], None)
    assert [r.receipt_id for r in kept] == ["a-good", "b-bad"]


# What the returns said about a version


def stored(r: ReceiptOut, position: int) -> StoredReceipt:
    return StoredReceipt(
        position=position,
        **r.model_dump(exclude={"returned", "return_reasons", "flags", "reading"}),
    )


def test_version_out_puts_its_own_returns_on_the_version_and_each_receipt() -> None:
    row = VersionRow(
        version=1,
        submission_sha256="f" * 64,
        submitted_at=datetime(2026, 9, 1, tzinfo=UTC),
        answers={"box1": "100"},
        declared_total_pence=1500,
        receipts=[stored(GOOD, 0), stored(BAD, 1)],
    )
    reason = {"code": "DATE_OUTSIDE_PERIOD", "message": OUTSIDE.message, "field_id": None}
    total = {"code": "TOTAL_MISMATCH", "message": "Wrong total", "field_id": None}
    returns = [
        SubmissionReturn(
            event_id="e1",
            version=1,
            returned_at=datetime(2026, 9, 2, tzinfo=UTC),
            reasons=[total],
            receipts=[ReturnedReceipt(receipt_id="b-bad", reasons=[reason])],
        ),
        SubmissionReturn(
            event_id="e2",
            version=2,
            returned_at=datetime(2026, 9, 3, tzinfo=UTC),
            reasons=[],
            receipts=[ReturnedReceipt(receipt_id="a-good", reasons=[reason])],
        ),
    ]
    out = version_out(row, returns)
    assert out.returned and out.returned_at == datetime(2026, 9, 2, tzinfo=UTC)
    assert [r.code for r in out.return_reasons] == ["TOTAL_MISMATCH"]
    assert [(r.receipt_id, r.returned) for r in out.receipts] == [
        ("a-good", False),
        ("b-bad", True),
    ]
    assert out.receipts[1].return_reasons == [OUTSIDE]

    unreturned = version_out(row, [])
    assert not unreturned.returned and unreturned.returned_at is None
    assert not any(r.returned for r in unreturned.receipts)


# The diff of two versions


def test_diff_shows_answers_changed_and_receipts_kept_removed_and_added() -> None:
    replacement = receipt("d-new", 450, "Rail")
    v2 = version(2, GOOD, OTHER, replacement, box1="100", box7="600")
    result = diff("sub-1", V1, v2)
    assert result.from_version == 1 and result.to_version == 2
    assert [(c.field, c.before, c.after) for c in result.changed] == [
        ("box7", None, "600"),
        ("declared_total_pence", 1750, 1700),
    ]
    assert [r.receipt_id for r in result.kept] == ["a-good", "c-other"]
    assert [r.receipt_id for r in result.added] == ["d-new"]
    assert result.added[0].amount_pence == 450 and result.added[0].payee == "Rail"
    [removed] = result.removed
    assert removed.receipt_id == "b-bad" and removed.returned
    assert removed.return_reasons == [OUTSIDE]


def test_diff_the_other_way_round_swaps_removed_and_added() -> None:
    v2 = version(2, GOOD, receipt("d-new"), box1="120")
    result = diff("sub-1", v2, V1)
    assert [(c.field, c.before, c.after) for c in result.changed] == [
        ("box1", "120", "100"),
        ("declared_total_pence", 2000, 1750),
    ]
    assert [r.receipt_id for r in result.removed] == ["d-new"]
    assert [r.receipt_id for r in result.added] == ["b-bad", "c-other"]


def test_a_version_compared_with_itself_has_no_changes() -> None:
    result = diff("sub-1", V1, V1)
    assert result.changed == [] and result.removed == [] and result.added == []
    assert [r.receipt_id for r in result.kept] == ["a-good", "b-bad", "c-other"]


# Fingerprints


def uploaded(r: ReceiptOut) -> UploadedFile:
    return UploadedFile(r.file_sha256, r.media_type, r.size_bytes, r.file_name)


def line(r: ReceiptOut) -> ReceiptLineIn:
    return ReceiptLineIn(
        date=r.date,
        amount_pence=r.amount_pence,
        currency=r.currency,
        payee=r.payee,
        category=r.category,
    )


def test_a_kept_receipt_counts_in_the_content_hash_as_if_it_were_sent_again() -> None:
    whole = SubmissionIn(
        answers={"box1": "1"}, declared_total_pence=1250, receipts=[line(GOOD), line(OTHER)]
    )
    kept_lines = [
        {**line(GOOD).model_dump(mode="json"), "file_sha256": GOOD.file_sha256},
        {**line(OTHER).model_dump(mode="json"), "file_sha256": OTHER.file_sha256},
    ]
    assert content_sha256(whole.answers, 1250, kept_lines) == submission_sha256(
        whole, [uploaded(GOOD), uploaded(OTHER)]
    )


def test_the_request_fingerprint_covers_what_is_kept_and_dropped_in_any_order() -> None:
    body = SubmissionIn(declared_total_pence=0, keep_receipt_ids=["a", "b"])
    assert request_sha256(body, []) == request_sha256(
        body.model_copy(update={"keep_receipt_ids": ["b", "a"]}), []
    )
    assert request_sha256(body, []) != request_sha256(
        body.model_copy(update={"keep_receipt_ids": ["a"]}), []
    )
    assert request_sha256(body, []) != request_sha256(
        body.model_copy(update={"keep_receipt_ids": None}), []
    )
    assert request_sha256(body, []) != request_sha256(
        body.model_copy(update={"drop_receipt_ids": []}), []
    )
