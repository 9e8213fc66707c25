"""A submission's versions as filers see them: which receipts each return sent back and
why, which receipts a resubmission keeps, and what changed between two versions.

Everything here is a pure function of rows already read (no I/O), so the rules are tested
without a database:

- ``version_out`` puts a version's returns onto the version and onto each receipt;
- ``kept_receipts`` decides which receipts of the latest version a targeted resubmission
  carries over, or refuses it naming every receipt that is wrong;
- ``diff`` compares two versions: answers changed, receipts kept, removed and added."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cabinet_common.form_types.money import format_pence
from cabinet_common.receipt_reading import ReadingOut
from cabinet_intake.schemas import (
    FieldChange,
    ReasonOut,
    ReceiptOut,
    SubmissionDiff,
    VersionOut,
)
from cabinet_intake.tables import CheckedReceipt, SubmissionReturn, SubmissionVersion


def version_out(
    version: SubmissionVersion,
    returns: Iterable[SubmissionReturn],
    checks: Iterable[CheckedReceipt] = (),
) -> VersionOut:
    """The version with what its returns (those of this version only) said about it, and
    what its check flagged and read on each receipt."""
    checked = {c.receipt_id: c for c in checks if c.version == version.version}
    mine = sorted((r for r in returns if r.version == version.version), key=lambda r: r.returned_at)
    receipt_reasons: dict[str, list[ReasonOut]] = {}
    for returned in mine:
        for sent_back in returned.receipts:
            receipt_reasons.setdefault(sent_back.receipt_id, []).extend(
                ReasonOut.model_validate(r) for r in sent_back.reasons
            )
    receipts = []
    for stored in version.receipts:
        receipt = ReceiptOut.model_validate(stored)
        check = checked.get(stored.receipt_id)
        if check is not None:
            receipt.flags = [ReasonOut.model_validate(r) for r in check.flags]
            receipt.reading = ReadingOut.model_validate(check.reading) if check.reading else None
        if stored.receipt_id in receipt_reasons:
            receipt.returned = True
            receipt.return_reasons = receipt_reasons[stored.receipt_id]
        receipts.append(receipt)
    return VersionOut(
        version=version.version,
        submission_sha256=version.submission_sha256,
        submitted_at=version.submitted_at,
        answers=version.answers,
        declared_total_pence=version.declared_total_pence,
        receipts=receipts,
        channel="paper" if version.channel == "paper" else "online",
        keyed_by=version.keyed_by,
        returned=bool(mine),
        returned_at=mine[-1].returned_at if mine else None,
        return_reasons=[ReasonOut.model_validate(r) for ret in mine for r in ret.reasons],
    )


class KeepProblemCode(StrEnum):
    NO_EARLIER_VERSION = "NO_EARLIER_VERSION"
    UNKNOWN_RECEIPT = "UNKNOWN_RECEIPT"
    RECEIPT_NAMED_TWICE = "RECEIPT_NAMED_TWICE"
    RECEIPT_RETURNED = "RECEIPT_RETURNED"
    RECEIPT_NOT_KEPT_OR_DROPPED = "RECEIPT_NOT_KEPT_OR_DROPPED"


@dataclass(frozen=True)
class KeepProblem:
    code: KeepProblemCode
    message: str
    receipt_id: str | None = None


class KeepRefused(Exception):
    """The receipts named to keep or drop cannot build the next version."""

    def __init__(self, problems: list[KeepProblem]) -> None:
        super().__init__(problems)
        self.problems = problems


def describe(receipt: ReceiptOut) -> str:
    """How a message names a receipt: its id and its line."""
    if receipt.currency == "GBP":
        amount = format_pence(receipt.amount_pence)
    else:
        whole, minor = divmod(receipt.amount_pence, 100)
        amount = f"{whole:,}.{minor:02d} {receipt.currency}"
    day = f"{receipt.date.day} {receipt.date:%B %Y}"
    return f"receipt {receipt.receipt_id} ({receipt.payee}, {amount}, {day})"


def returned_receipts(versions: Iterable[VersionOut]) -> dict[str, tuple[int, list[ReasonOut]]]:
    """Every receipt any return of the submission sent back: its id -> the latest version
    it was returned with, and the reasons."""
    returned: dict[str, tuple[int, list[ReasonOut]]] = {}
    for version in sorted(versions, key=lambda v: v.version):
        for receipt in version.receipts:
            if receipt.returned:
                returned[receipt.receipt_id] = (version.version, receipt.return_reasons)
    return returned


def kept_receipts(
    latest: VersionOut | None,
    returned: Mapping[str, tuple[int, Sequence[ReasonOut]]],
    keep: Sequence[str] | None,
    drop: Sequence[str] | None,
) -> list[ReceiptOut]:
    """The receipts of the latest version a targeted resubmission carries over, in the
    latest version's order.

    Rules: only receipts of the latest version can be named; a receipt returned (with
    any version) cannot be kept, it is replaced by a new line and file or left out; each
    receipt that was not returned must be kept or dropped by name, so none is lost by
    being forgotten. Returned receipts need not be named to be left out. Raises
    KeepRefused naming every problem."""
    keep, drop = list(keep or ()), list(drop or ())
    if latest is None:
        raise KeepRefused(
            [
                KeepProblem(
                    KeepProblemCode.NO_EARLIER_VERSION,
                    "There is no earlier version to keep receipts from: send every receipt "
                    "with its file, without keep_receipt_ids or drop_receipt_ids",
                )
            ]
        )
    problems: list[KeepProblem] = []
    by_id = {r.receipt_id: r for r in latest.receipts}
    named: set[str] = set()
    for field, ids in (("keep_receipt_ids", keep), ("drop_receipt_ids", drop)):
        for receipt_id in ids:
            if receipt_id in named:
                problems.append(
                    KeepProblem(
                        KeepProblemCode.RECEIPT_NAMED_TWICE,
                        f"Receipt {receipt_id} is named more than once: keep it or drop it",
                        receipt_id,
                    )
                )
                continue
            named.add(receipt_id)
            if receipt_id not in by_id:
                problems.append(
                    KeepProblem(
                        KeepProblemCode.UNKNOWN_RECEIPT,
                        f"Receipt {receipt_id} in {field} is not a receipt of version "
                        f"{latest.version}, the latest: name only its receipts",
                        receipt_id,
                    )
                )
    for receipt_id in dict.fromkeys(keep):
        if receipt_id in returned and receipt_id in by_id:
            version, reasons = returned[receipt_id]
            why = "; ".join(r.message for r in reasons) or "no reason given"
            problems.append(
                KeepProblem(
                    KeepProblemCode.RECEIPT_RETURNED,
                    f"You cannot keep {describe(by_id[receipt_id])}: it was returned with "
                    f"version {version} ({why}). Send a new line and file in its place, or "
                    "leave it out",
                    receipt_id,
                )
            )
    for receipt in latest.receipts:
        if receipt.receipt_id not in named and receipt.receipt_id not in returned:
            problems.append(
                KeepProblem(
                    KeepProblemCode.RECEIPT_NOT_KEPT_OR_DROPPED,
                    f"Say what happens to {describe(receipt)}: it was not returned, so name "
                    "it in keep_receipt_ids to keep it or in drop_receipt_ids to leave it out",
                    receipt.receipt_id,
                )
            )
    if problems:
        raise KeepRefused(problems)
    kept = set(keep)
    return [r for r in latest.receipts if r.receipt_id in kept]


DECLARED_TOTAL = "declared_total_pence"


def diff(submission_id: str, before: VersionOut, after: VersionOut) -> SubmissionDiff:
    """What changed from `before` to `after`. A receipt is the same one when its id is
    (kept receipts keep their id); a receipt sent again as a new file is removed + added."""
    changed = [
        FieldChange(field=field, before=before.answers.get(field), after=after.answers.get(field))
        for field in sorted(before.answers.keys() | after.answers.keys())
        if before.answers.get(field) != after.answers.get(field)
    ]
    if before.declared_total_pence != after.declared_total_pence:
        changed.append(
            FieldChange(
                field=DECLARED_TOTAL,
                before=before.declared_total_pence,
                after=after.declared_total_pence,
            )
        )
    before_ids = {r.receipt_id for r in before.receipts}
    after_ids = {r.receipt_id for r in after.receipts}
    return SubmissionDiff(
        submission_id=submission_id,
        from_version=before.version,
        to_version=after.version,
        changed=changed,
        kept=[r for r in after.receipts if r.receipt_id in before_ids],
        removed=[r for r in before.receipts if r.receipt_id not in after_ids],
        added=[r for r in after.receipts if r.receipt_id not in before_ids],
    )
