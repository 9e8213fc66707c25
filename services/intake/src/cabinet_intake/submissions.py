"""Taking a submission: idempotent on the client's key, versioned per obligation (a
resubmission may keep receipts of the latest version), and announced as FormSubmitted,
with every receipt of the version, through the outbox in the same transaction."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.common.v1 import types_pb2
from cabinet.submissions.v1 import events_pb2
from cabinet_common.events import Event, timestamp, to_kafka
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_intake.schemas import ReceiptLineIn, ReceiptOut, SubmissionAccepted, SubmissionIn
from cabinet_intake.tables import (
    KnownObligation,
    StoredReceipt,
    Submission,
    SubmissionReturn,
    SubmissionVersion,
)
from cabinet_intake.versions import kept_receipts, returned_receipts, version_out

SOURCE = "/cabinet/intake"


@dataclass(frozen=True)
class UploadedFile:
    sha256: str
    media_type: str
    size_bytes: int
    file_name: str


class IdempotencyConflict(Exception):
    """The key was already used for a different submission."""


class EventTooLarge(Exception):
    """Its FormSubmitted would be over the largest event Kafka takes: refused before it is
    accepted, since once accepted it could never be announced."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit


class ObligationAlreadyAccepted(Exception):
    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


class ObligationNoLongerTaken(Exception):
    """Waived, or its period closed without an accepted return."""

    def __init__(self, settled_status: str, period_key: str) -> None:
        super().__init__(settled_status)
        self.settled_status = settled_status
        self.period_key = period_key


def _sha256(canonical: object) -> str:
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _line(line: ReceiptLineIn | ReceiptOut, file_sha256: str) -> dict[str, object]:
    return {
        "date": line.date.isoformat(),
        "amount_pence": line.amount_pence,
        "currency": line.currency,
        "payee": line.payee,
        "category": line.category,
        "file_sha256": file_sha256,
    }


def content_sha256(
    answers: dict[str, str], declared_total_pence: int, lines: list[dict[str, object]]
) -> str:
    """SHA-256 over a canonical form of the answers, the receipt lines and the file hashes
    (receipt ids and file names aside): what the acknowledgement proves was filed."""
    return _sha256(
        {
            "answers": dict(sorted(answers.items())),
            "declared_total_pence": declared_total_pence,
            "receipts": lines,
        }
    )


def submission_sha256(body: SubmissionIn, files: list[UploadedFile]) -> str:
    """The content SHA-256 of a submission that sends every receipt."""
    return content_sha256(
        body.answers,
        body.declared_total_pence,
        [_line(line, file.sha256) for line, file in zip(body.receipts, files, strict=True)],
    )


def request_sha256(body: SubmissionIn, files: list[UploadedFile]) -> str:
    """SHA-256 of what the request asked for: its content and the receipts it keeps and
    drops (in any order), and for a paper return the channel and who keyed it in. The
    same Idempotency-Key with a different request is a 409: a replay that says paper where
    the first said online (or names another caseworker) is a different submission.

    An online request hashes as it did before channels existed, so a client's retry of a
    request taken by an earlier release is still recognised as a replay."""
    request: dict[str, object] = {
        "content": submission_sha256(body, files),
        "keep_receipt_ids": (
            None if body.keep_receipt_ids is None else sorted(body.keep_receipt_ids)
        ),
        "drop_receipt_ids": (
            None if body.drop_receipt_ids is None else sorted(body.drop_receipt_ids)
        ),
    }
    if body.channel != "online":
        request |= {"channel": body.channel, "keyed_by": body.keyed_by}
    return _sha256(request)


async def _kept(
    session: AsyncSession, submission: Submission | None, body: SubmissionIn
) -> list[ReceiptOut]:
    """The receipts of the latest version this resubmission keeps (none unless it names
    them); KeepRefused if it names them wrongly."""
    if not body.targeted:
        return []
    if submission is None or not submission.versions:
        return kept_receipts(None, {}, body.keep_receipt_ids, body.drop_receipt_ids)
    returns = (
        await session.scalars(
            select(SubmissionReturn).where(
                SubmissionReturn.submission_id == submission.submission_id
            )
        )
    ).all()
    versions = [version_out(v, returns) for v in submission.versions]
    return kept_receipts(
        versions[-1], returned_receipts(versions), body.keep_receipt_ids, body.drop_receipt_ids
    )


async def take_submission(
    session: AsyncSession,
    obligation: KnownObligation,
    body: SubmissionIn,
    files: list[UploadedFile],
    idempotency_key: str,
    max_event_bytes: int,
) -> tuple[SubmissionAccepted, bool]:
    """Store the submission as a new version, or find the one this key already made.

    A targeted resubmission (see SubmissionIn) carries the receipts it keeps over from the
    latest version, with their ids, files and lines, ahead of the ones it sends.

    Returns the accepted submission and whether it was created now (False for a replay)."""
    fingerprint = request_sha256(body, files)
    earlier = await session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.obligation_id == obligation.obligation_id,
            SubmissionVersion.idempotency_key == idempotency_key,
        )
    )
    if earlier is not None:
        if earlier.request_sha256 != fingerprint:
            raise IdempotencyConflict(idempotency_key)
        return _accepted(obligation, earlier), False
    if obligation.acknowledgement_reference is not None:
        raise ObligationAlreadyAccepted(obligation.acknowledgement_reference)
    if obligation.settled_status is not None:
        raise ObligationNoLongerTaken(obligation.settled_status, obligation.period_key)

    submission = await session.scalar(
        select(Submission).where(Submission.obligation_id == obligation.obligation_id)
    )
    kept = await _kept(session, submission, body)
    if submission is None:
        submission = Submission(
            submission_id=str(uuid.uuid4()),
            obligation_id=obligation.obligation_id,
            department_id=obligation.department_id,
            current_version=0,
            versions=[],
        )
        session.add(submission)
    lines = [_line(r, r.file_sha256) for r in kept] + [
        _line(line, file.sha256) for line, file in zip(body.receipts, files, strict=True)
    ]
    submission.current_version += 1
    version = SubmissionVersion(
        submission_id=submission.submission_id,
        obligation_id=obligation.obligation_id,
        version=submission.current_version,
        idempotency_key=idempotency_key,
        submission_sha256=content_sha256(body.answers, body.declared_total_pence, lines),
        request_sha256=fingerprint,
        answers=body.answers,
        declared_total_pence=body.declared_total_pence,
        submitted_at=datetime.now(UTC),
        channel=body.channel,
        keyed_by=body.keyed_by,
        receipts=[_carried_over(receipt, position) for position, receipt in enumerate(kept)]
        + [
            StoredReceipt(
                receipt_id=str(uuid.uuid4()),
                position=len(kept) + position,
                file_sha256=file.sha256,
                media_type=file.media_type,
                size_bytes=file.size_bytes,
                file_name=file.file_name,
                date=line.date,
                amount_pence=line.amount_pence,
                currency=line.currency,
                payee=line.payee,
                category=line.category,
            )
            for position, (line, file) in enumerate(zip(body.receipts, files, strict=True))
        ],
    )
    event = _form_submitted(obligation, version)
    size = to_kafka(event).size
    if size > max_event_bytes:
        raise EventTooLarge(size, max_event_bytes)
    session.add(version)
    add_to_outbox(session, event)
    return _accepted(obligation, version), True


def _carried_over(receipt: ReceiptOut, position: int) -> StoredReceipt:
    """A kept receipt under the new version: the same id, file and line."""
    return StoredReceipt(
        receipt_id=receipt.receipt_id,
        position=position,
        file_sha256=receipt.file_sha256,
        media_type=receipt.media_type,
        size_bytes=receipt.size_bytes,
        file_name=receipt.file_name,
        date=receipt.date,
        amount_pence=receipt.amount_pence,
        currency=receipt.currency,
        payee=receipt.payee,
        category=receipt.category,
    )


def _accepted(obligation: KnownObligation, version: SubmissionVersion) -> SubmissionAccepted:
    return SubmissionAccepted(
        obligation_id=obligation.obligation_id,
        submission_id=version.submission_id,
        version=version.version,
        submission_sha256=version.submission_sha256,
        receipt_ids=[r.receipt_id for r in version.receipts],
    )


def _form_submitted(obligation: KnownObligation, version: SubmissionVersion) -> Event:
    payload = events_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(
            obligation_id=obligation.obligation_id,
            department_id=obligation.department_id,
            form_type_id=obligation.form_type_id,
            filer_id=obligation.filer_id,
            period_key=obligation.period_key,
        ),
        submission_id=version.submission_id,
        version=version.version,
        period_start=obligation.period_start.isoformat(),
        period_end=obligation.period_end.isoformat(),
        answers=version.answers,
        declared_total_pence=version.declared_total_pence,
        receipts=[
            events_pb2.ReceiptLine(
                receipt_id=r.receipt_id,
                file_sha256=r.file_sha256,
                media_type=r.media_type,
                size_bytes=r.size_bytes,
                file_name=r.file_name,
                date=r.date.isoformat(),
                amount_pence=r.amount_pence,
                currency=r.currency,
                payee=r.payee,
                category=r.category,
            )
            for r in version.receipts
        ],
        submission_sha256=version.submission_sha256,
        submitted_at=timestamp(version.submitted_at),
        form_type_version=obligation.form_type_version,
        channel=version.channel,
        keyed_by=version.keyed_by or "",
    )
    return Event(payload=payload, key=obligation.obligation_id, source=SOURCE)
