"""Publishing form type definitions as numbered versions, and reading them back.

Publishing the same definition again publishes nothing; a changed one becomes the next
version and the current one. Periods opened before keep the version they were opened with."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.formtypes.v1 import events_pb2 as formtypes_pb2
from cabinet_common.database import serialize
from cabinet_common.events import Event, timestamp
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_cycles.tables import FormType, FormTypeVersion

SOURCE = "/cabinet/cycles"


@dataclass(frozen=True)
class PublishedFormType:
    department_id: str
    form_type_id: str
    version: int
    definition: FormTypeDefinition


async def publish_form_type(
    session: AsyncSession,
    department_id: str,
    form_type_id: str,
    definition: FormTypeDefinition,
) -> PublishedFormType:
    """The current version after publishing `definition`: a new one only if it changed."""
    # Two publishers of one form type take turns: the second sees the first's version.
    await serialize(session, "form-type", department_id, form_type_id)
    current = await current_form_type(session, department_id, form_type_id)
    if current is not None and current.definition == definition:
        # Announced again (the same content): a consumer that missed it catches up.
        add_to_outbox(session, form_type_published(current))
        return current
    form_type = await session.get(FormType, (department_id, form_type_id))
    if form_type is None:
        form_type = FormType(
            department_id=department_id, form_type_id=form_type_id, current_version=0
        )
        session.add(form_type)
    form_type.current_version += 1
    session.add(
        FormTypeVersion(
            department_id=department_id,
            form_type_id=form_type_id,
            version=form_type.current_version,
            definition=definition.model_dump(mode="json"),
            created_at=datetime.now(UTC),
        )
    )
    published = PublishedFormType(
        department_id, form_type_id, form_type.current_version, definition
    )
    add_to_outbox(session, form_type_published(published))
    return published


def form_type_published(published: PublishedFormType) -> Event:
    """FormTypePublished: intake and receipts keep every version of every definition."""
    published_at = timestamp(datetime.now(UTC))
    payload = formtypes_pb2.FormTypePublished(
        department_id=published.department_id,
        form_type_id=published.form_type_id,
        version=published.version,
        definition_json=published.definition.model_dump_json(),
        published_at=published_at,
    )
    return Event(
        payload=payload,
        key=f"{published.department_id}/{published.form_type_id}",
        source=SOURCE,
    )


async def current_form_type(
    session: AsyncSession, department_id: str, form_type_id: str
) -> PublishedFormType | None:
    form_type = await session.get(FormType, (department_id, form_type_id))
    if form_type is None:
        return None
    return await form_type_version(session, department_id, form_type_id, form_type.current_version)


async def form_type_version(
    session: AsyncSession, department_id: str, form_type_id: str, version: int
) -> PublishedFormType | None:
    row = await session.get(FormTypeVersion, (department_id, form_type_id, version))
    if row is None:
        return None
    return PublishedFormType(
        department_id, form_type_id, version, FormTypeDefinition.model_validate(row.definition)
    )
