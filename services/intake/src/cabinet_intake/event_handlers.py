"""What intake learns from other services' events."""

from collections.abc import Iterable
from datetime import UTC, date

from google.protobuf.json_format import MessageToDict
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet_common.events import Event, Topic
from cabinet_common.known_form_types import on_form_type_published
from cabinet_common.messaging.consumer import Handler, PermanentError
from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_intake.tables import (
    CheckedReceipt,
    KnownObligation,
    ReturnedReceipt,
    SubmissionReturn,
)


async def on_obligation_opened(session: AsyncSession, event: Event) -> None:
    opened = event.payload_as(events_pb2.ObligationOpened)
    ref = opened.obligation
    if not ref.obligation_id:
        raise PermanentError("ObligationOpened without an obligation id")
    await session.merge(
        KnownObligation(
            obligation_id=ref.obligation_id,
            department_id=ref.department_id,
            form_type_id=ref.form_type_id,
            filer_id=ref.filer_id,
            period_key=ref.period_key,
            period_start=date.fromisoformat(opened.period_start),
            period_end=date.fromisoformat(opened.period_end),
            due_date=date.fromisoformat(opened.due_date),
            form_type_version=opened.form_type_version,
        )
    )


async def on_acknowledgement_issued(session: AsyncSession, event: Event) -> None:
    issued = event.payload_as(events_pb2.AcknowledgementIssued)
    obligation = await session.get(KnownObligation, issued.obligation.obligation_id)
    if obligation is None:
        raise PermanentError(
            f"acknowledgement for unknown obligation {issued.obligation.obligation_id}"
        )
    obligation.acknowledgement_reference = issued.reference


def _reasons(reasons: Iterable[types_pb2.Reason]) -> list[dict[str, str | None]]:
    return [
        {
            "code": types_pb2.ReasonCode.Name(r.code).removeprefix("REASON_CODE_"),
            "message": r.message,
            "field_id": r.field_id or None,
        }
        for r in reasons
    ]


async def on_submission_returned(session: AsyncSession, event: Event) -> None:
    """Which receipts of a version were sent back, and why: a resubmission may keep every
    receipt of the latest version but these (see cabinet_intake.versions)."""
    returned = event.payload_as(events_pb2.SubmissionReturned)
    if not returned.submission_id or returned.version < 1:
        raise PermanentError("SubmissionReturned without a submission id and version")
    returned_at = (
        returned.returned_at.ToDatetime(tzinfo=UTC)
        if returned.HasField("returned_at")
        else event.time
    )
    reasons_by_receipt: dict[str, list[dict[str, str | None]]] = {}
    for receipt in returned.returned_receipts:
        reasons_by_receipt.setdefault(receipt.receipt_id, []).extend(_reasons(receipt.reasons))
    # The consumer already drops a redelivered event; merge keeps a replay harmless anyway.
    await session.merge(
        SubmissionReturn(
            event_id=event.id,
            submission_id=returned.submission_id,
            obligation_id=returned.obligation.obligation_id,
            version=returned.version,
            returned_at=returned_at,
            reasons=_reasons(returned.reasons),
            receipts=[
                ReturnedReceipt(return_event_id=event.id, receipt_id=receipt_id, reasons=reasons)
                for receipt_id, reasons in reasons_by_receipt.items()
            ],
        )
    )


# Statuses in which an obligation takes no submission (accepted is known from its
# acknowledgement).
_NO_LONGER_TAKEN = frozenset({ObligationStatus.WAIVED, ObligationStatus.CLOSED})


async def on_obligation_status_changed(session: AsyncSession, event: Event) -> None:
    """Whether the obligation can still be filed: intake refuses a submission at once for
    one that was waived or whose period closed, rather than take it into a closed cycle."""
    changed = event.payload_as(events_pb2.ObligationStatusChanged)
    obligation = await session.get(KnownObligation, changed.obligation.obligation_id)
    if obligation is None:
        return  # not opened here (yet): a submission for it is a 404 anyway
    settled = changed.to_status in _NO_LONGER_TAKEN
    obligation.settled_status = changed.to_status if settled else None


async def on_receipts_checked(session: AsyncSession, event: Event) -> None:
    """Each receipt's flags and document reading, for the caseworker's view beside its
    typed line (returns are learnt from SubmissionReturned, not from here)."""
    checked = event.payload_as(receipts_pb2.ReceiptsChecked)
    for check in checked.receipts:
        if not check.flags and not check.HasField("reading"):
            continue
        await session.merge(
            CheckedReceipt(
                submission_id=checked.submission_id,
                version=checked.version,
                receipt_id=check.receipt_id,
                flags=_reasons(check.flags),
                reading=(
                    MessageToDict(check.reading, preserving_proto_field_name=True)
                    if check.HasField("reading")
                    else None
                ),
            )
        )


HANDLERS: dict[Topic, Handler] = {
    Topic.FORM_TYPE_PUBLISHED: on_form_type_published,
    Topic.OBLIGATION_OPENED: on_obligation_opened,
    Topic.ACKNOWLEDGEMENT_ISSUED: on_acknowledgement_issued,
    Topic.SUBMISSION_RETURNED: on_submission_returned,
    Topic.OBLIGATION_STATUS_CHANGED: on_obligation_status_changed,
    Topic.RECEIPTS_CHECKED: on_receipts_checked,
}
