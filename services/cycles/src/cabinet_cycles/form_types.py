"""Publishing form type definitions as numbered versions, and reading them back.

Publishing the same definition again publishes nothing; a changed one becomes the next
version and the current one. Periods opened before keep the version they were opened with."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_cycles.tables import FormType, FormTypeVersion


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
    current = await current_form_type(session, department_id, form_type_id)
    if current is not None and current.definition == definition:
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
    return PublishedFormType(department_id, form_type_id, form_type.current_version, definition)


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
