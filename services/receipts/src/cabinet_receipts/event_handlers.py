"""FormSubmitted in, ReceiptsChecked out (through the outbox, in the same transaction);
FormTypePublished kept, so each submission is checked against its form type's version."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.database import serialize
from cabinet_common.events import Event, Topic, timestamp
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.known_form_types import known_definition, on_form_type_published
from cabinet_common.messaging.consumer import Handler
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_common.observability.metrics import RECEIPT_CHECKS
from cabinet_common.reading import Reading
from cabinet_receipts.checks import LineKey, check_submission
from cabinet_receipts.tables import CheckRecord, FiledFile, FiledLine, PendingCheck

SOURCE = "/cabinet/receipts"


class FormTypeNotYetKnown(RuntimeError):
    """Retried: the FormTypePublished for this version has not been consumed yet."""


async def definition_of(
    session: AsyncSession, submitted: submissions_pb2.FormSubmitted
) -> FormTypeDefinition | None:
    if not submitted.form_type_version:
        return None  # from a producer that did not say: the checks every form gets
    ref = submitted.obligation
    definition = await known_definition(
        session, ref.department_id, ref.form_type_id, submitted.form_type_version
    )
    if definition is None:
        raise FormTypeNotYetKnown(
            f"form type {ref.department_id}/{ref.form_type_id} "
            f"version {submitted.form_type_version} not known yet"
        )
    return definition


async def on_form_submitted(session: AsyncSession, event: Event) -> None:
    submitted = event.payload_as(submissions_pb2.FormSubmitted)
    definition = await definition_of(session, submitted)
    if definition is not None and definition.receipt_checks.reading and submitted.receipts:
        # Reading takes seconds: the reader (cabinet_receipts.reader) reads the receipts
        # off the consumer's path and then checks the submission with record_check.
        await session.merge(
            PendingCheck(
                submission_id=submitted.submission_id,
                version=submitted.version,
                department_id=submitted.obligation.department_id,
                event_key=event.key,
                payload=submitted.SerializeToString(),
                received_at=datetime.now(UTC),
            )
        )
        return
    await record_check(session, submitted, definition, event.key)


async def record_check(
    session: AsyncSession,
    submitted: submissions_pb2.FormSubmitted,
    definition: FormTypeDefinition | None,
    event_key: str,
    readings: Mapping[str, Reading] | None = None,
) -> None:
    """Check the submission against what the department filed before, remember its files
    and lines, and publish ReceiptsChecked (through the outbox, in this transaction)."""
    department = submitted.obligation.department_id
    obligation_id = submitted.obligation.obligation_id
    # Whether a file or a line was filed before is read, then this submission's are
    # recorded: two submissions of one department take turns, or each would miss the other.
    await serialize(session, "filed-receipts", department)
    hashes = {line.file_sha256 for line in submitted.receipts}
    filed = (
        await session.scalars(
            select(FiledFile).where(
                FiledFile.department_id == department, FiledFile.file_sha256.in_(hashes)
            )
        )
    ).all()
    first_filed_by = {f.file_sha256: f.obligation_id for f in filed}
    keys = {line.receipt_id: LineKey.of(line) for line in submitted.receipts}
    lines_filed_by: dict[LineKey, set[str]] = defaultdict(set)
    lookalikes = (
        await session.scalars(
            select(FiledLine).where(
                FiledLine.department_id == department,
                FiledLine.payee_key.in_({k.payee_key for k in keys.values()}),
                FiledLine.date.in_({k.date for k in keys.values()}),
            )
        )
    ).all()
    for row in lookalikes:
        lines_filed_by[LineKey(row.payee_key, row.date, row.amount, row.currency)].add(
            row.obligation_id
        )
    receipt_checks, submission_reasons = check_submission(
        submitted, first_filed_by, definition, lines_filed_by, readings
    )

    now = datetime.now(UTC)
    for sha256 in hashes - first_filed_by.keys():
        session.add(
            FiledFile(
                department_id=department,
                file_sha256=sha256,
                obligation_id=obligation_id,
                first_filed_at=now,
            )
        )
    for receipt_id, key in keys.items():
        await session.merge(
            FiledLine(
                department_id=department,
                receipt_id=receipt_id,
                obligation_id=obligation_id,
                payee_key=key.payee_key,
                date=key.date,
                amount=key.amount,
                currency=key.currency,
            )
        )
    checked = receipts_pb2.ReceiptsChecked(
        obligation=submitted.obligation,
        submission_id=submitted.submission_id,
        version=submitted.version,
        submission_sha256=submitted.submission_sha256,
        receipts=receipt_checks,
        submission_reasons=submission_reasons,
        checked_at=timestamp(now),
    )
    session.add(
        CheckRecord(
            submission_id=submitted.submission_id,
            version=submitted.version,
            department_id=department,
            result=checked.SerializeToString(),
        )
    )
    add_to_outbox(session, Event(payload=checked, key=event_key, source=SOURCE))
    count_check_codes(checked)


def count_check_codes(checked: receipts_pb2.ReceiptsChecked) -> None:
    """Each code the check gave (a receipt with none counts as OK), per department and form."""

    def name(reason: types_pb2.Reason) -> str:
        return types_pb2.ReasonCode.Name(reason.code).removeprefix("REASON_CODE_")

    codes = [name(r) for r in checked.submission_reasons]
    for receipt in checked.receipts:
        codes.extend([name(r) for r in (*receipt.reasons, *receipt.flags)] or ["OK"])
    ref = checked.obligation
    for code in codes:
        RECEIPT_CHECKS.labels(ref.department_id, ref.form_type_id, code).inc()


HANDLERS: dict[Topic, Handler] = {
    Topic.FORM_SUBMITTED: on_form_submitted,
    Topic.FORM_TYPE_PUBLISHED: on_form_type_published,
}
