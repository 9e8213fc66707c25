"""FormSubmitted in, ReceiptsChecked out (through the outbox, in the same transaction)."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.events import Event, Topic
from cabinet_common.messaging.consumer import Handler
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_receipts.checks import check_submission
from cabinet_receipts.tables import CheckRecord, FiledFile

SOURCE = "/cabinet/receipts"


async def on_form_submitted(session: AsyncSession, event: Event) -> None:
    submitted = event.payload_as(submissions_pb2.FormSubmitted)
    department = submitted.obligation.department_id
    hashes = {line.file_sha256 for line in submitted.receipts}
    filed = (
        await session.scalars(
            select(FiledFile).where(
                FiledFile.department_id == department, FiledFile.file_sha256.in_(hashes)
            )
        )
    ).all()
    first_filed_by = {f.file_sha256: f.obligation_id for f in filed}
    receipt_checks, submission_reasons = check_submission(submitted, first_filed_by)

    now = datetime.now(UTC)
    for sha256 in hashes - first_filed_by.keys():
        session.add(
            FiledFile(
                department_id=department,
                file_sha256=sha256,
                obligation_id=submitted.obligation.obligation_id,
                first_filed_at=now,
            )
        )
    checked_at = Timestamp()
    checked_at.FromDatetime(now)
    checked = receipts_pb2.ReceiptsChecked(
        obligation=submitted.obligation,
        submission_id=submitted.submission_id,
        version=submitted.version,
        submission_sha256=submitted.submission_sha256,
        receipts=receipt_checks,
        submission_reasons=submission_reasons,
        checked_at=checked_at,
    )
    session.add(
        CheckRecord(
            submission_id=submitted.submission_id,
            version=submitted.version,
            department_id=department,
            result=checked.SerializeToString(),
        )
    )
    add_to_outbox(session, Event(payload=checked, key=event.key, source=SOURCE))


HANDLERS: dict[Topic, Handler] = {Topic.FORM_SUBMITTED: on_form_submitted}
