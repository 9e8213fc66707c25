"""A service's own copy of every published form type version, kept from FormTypePublished,
so it can read a definition without asking the cycles service (intake and receipts do)."""

from pydantic import ValidationError
from sqlalchemy import JSON, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.formtypes.v1 import events_pb2 as formtypes_pb2
from cabinet_common.database import Base
from cabinet_common.events import Event
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.messaging.consumer import PermanentError


class KnownFormType(Base):
    __tablename__ = "known_form_types"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, object]] = mapped_column(JSON)


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


async def known_definition(
    session: AsyncSession, department_id: str, form_type_id: str, version: int
) -> FormTypeDefinition | None:
    known = await session.get(KnownFormType, (department_id, form_type_id, version))
    return None if known is None else FormTypeDefinition.model_validate(known.definition)
