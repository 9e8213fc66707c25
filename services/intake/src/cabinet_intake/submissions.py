"""Taking a submission: idempotent on the client's key, versioned per obligation, and
announced as FormSubmitted through the outbox in the same transaction."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.common.v1 import types_pb2
from cabinet.submissions.v1 import events_pb2
from cabinet_common.events import Event
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_intake.schemas import SubmissionAccepted, SubmissionIn
from cabinet_intake.tables import KnownObligation, StoredReceipt, Submission, SubmissionVersion

SOURCE = "/cabinet/intake"


@dataclass(frozen=True)
class UploadedFile:
    sha256: str
    media_type: str
    size_bytes: int
    file_name: str


class IdempotencyConflict(Exception):
    """The key was already used for a different submission."""


class ObligationAlreadyAccepted(Exception):
    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def submission_sha256(body: SubmissionIn, files: list[UploadedFile]) -> str:
    """SHA-256 over a canonical form of the answers, the receipt lines and the file hashes."""
    canonical = {
        "answers": dict(sorted(body.answers.items())),
        "declared_total_pence": body.declared_total_pence,
        "receipts": [
            {**line.model_dump(mode="json"), "file_sha256": file.sha256}
            for line, file in zip(body.receipts, files, strict=True)
        ],
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


async def take_submission(
    session: AsyncSession,
    obligation: KnownObligation,
    body: SubmissionIn,
    files: list[UploadedFile],
    idempotency_key: str,
) -> tuple[SubmissionAccepted, bool]:
    """Store the submission as a new version, or find the one this key already made.

    Returns the accepted submission and whether it was created now (False for a replay)."""
    fingerprint = submission_sha256(body, files)
    earlier = await session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.obligation_id == obligation.obligation_id,
            SubmissionVersion.idempotency_key == idempotency_key,
        )
    )
    if earlier is not None:
        if earlier.submission_sha256 != fingerprint:
            raise IdempotencyConflict(idempotency_key)
        return _accepted(obligation, earlier), False
    if obligation.acknowledgement_reference is not None:
        raise ObligationAlreadyAccepted(obligation.acknowledgement_reference)

    submission = await session.scalar(
        select(Submission).where(Submission.obligation_id == obligation.obligation_id)
    )
    if submission is None:
        submission = Submission(
            submission_id=str(uuid.uuid4()),
            obligation_id=obligation.obligation_id,
            department_id=obligation.department_id,
            current_version=0,
        )
        session.add(submission)
    submission.current_version += 1
    version = SubmissionVersion(
        submission_id=submission.submission_id,
        obligation_id=obligation.obligation_id,
        version=submission.current_version,
        idempotency_key=idempotency_key,
        submission_sha256=fingerprint,
        answers=body.answers,
        declared_total_pence=body.declared_total_pence,
        submitted_at=datetime.now(UTC),
        receipts=[
            StoredReceipt(
                receipt_id=str(uuid.uuid4()),
                position=position,
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
    session.add(version)
    add_to_outbox(session, _form_submitted(obligation, version))
    return _accepted(obligation, version), True


def _accepted(obligation: KnownObligation, version: SubmissionVersion) -> SubmissionAccepted:
    return SubmissionAccepted(
        obligation_id=obligation.obligation_id,
        submission_id=version.submission_id,
        version=version.version,
        submission_sha256=version.submission_sha256,
    )


def _form_submitted(obligation: KnownObligation, version: SubmissionVersion) -> Event:
    submitted_at = Timestamp()
    submitted_at.FromDatetime(version.submitted_at)
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
        submitted_at=submitted_at,
        form_type_version=obligation.form_type_version,
    )
    return Event(payload=payload, key=obligation.obligation_id, source=SOURCE)
