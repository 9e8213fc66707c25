"""What intake learns from other services' events."""

from datetime import date

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.formtypes.v1 import events_pb2 as formtypes_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet_common.events import Event, Topic
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.messaging.consumer import Handler, PermanentError
from cabinet_intake.tables import KnownFormType, KnownObligation


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


async def on_form_type_published(session: AsyncSession, event: Event) -> None:
    published = event.payload_as(formtypes_pb2.FormTypePublished)
    try:
        definition = FormTypeDefinition.model_validate_json(published.definition_json)
    except ValidationError as error:
        raise PermanentError(f"unreadable form type definition: {error}") from error
    await session.merge(
        KnownFormType(
            department_id=published.department_id,
            form_type_id=published.form_type_id,
            version=published.version,
            definition=definition.model_dump(mode="json"),
        )
    )


HANDLERS: dict[Topic, Handler] = {
    Topic.FORM_TYPE_PUBLISHED: on_form_type_published,
    Topic.OBLIGATION_OPENED: on_obligation_opened,
    Topic.ACKNOWLEDGEMENT_ISSUED: on_acknowledgement_issued,
}
