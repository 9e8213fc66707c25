"""Which form an obligation is filed on: the form type version its period was opened
with (cycles' period), and that version's definition. Both never change once published,
so each is fetched once per process and kept. A form type's current version (its name in
the queue's filters) may change, and is never kept.

The journey needs the form and fails without it (a 404, or a 503 while cycles cannot
answer); a caseworker's page shows the obligation whatever: `shown_form`."""

from datetime import date
from typing import Any, TypeVar

import httpx

from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_web.backend import DepartmentApi, NotFound, Refused, segment

_versions: dict[tuple[str, str, str], int] = {}
_definitions: dict[tuple[str, str, int], FormTypeDefinition] = {}
_KEPT = 500  # of each: a process that has seen more starts again

K = TypeVar("K")
V = TypeVar("V")


async def form_type_version(
    cycles: DepartmentApi, department_id: str, form_type_id: str, period_key: str
) -> int:
    key = (department_id, form_type_id, period_key)
    if key not in _versions:
        # Read through the period's quarter workflow, which can be busy (cycles: 503).
        path = f"/form-types/{segment(form_type_id)}/periods/{segment(period_key)}"
        period: dict[str, Any] = await cycles.get(path)
        _keep(_versions, key, int(period["form_type_version"]))
    return _versions[key]


async def definition(
    cycles: DepartmentApi, department_id: str, form_type_id: str, version: int
) -> FormTypeDefinition:
    key = (department_id, form_type_id, version)
    if key not in _definitions:
        body = await cycles.get(f"/form-types/{segment(form_type_id)}/versions/{version}")
        _keep(_definitions, key, FormTypeDefinition.model_validate(body["definition"]))
    return _definitions[key]


async def obligation_form(
    cycles: DepartmentApi, department_id: str, obligation: dict[str, str]
) -> tuple[int, FormTypeDefinition]:
    """The version and definition of an obligation's form (a cycles obligation)."""
    version = await form_type_version(
        cycles, department_id, obligation["form_type_id"], obligation["period_key"]
    )
    return version, await definition(cycles, department_id, obligation["form_type_id"], version)


async def current_definition(cycles: DepartmentApi, form_type_id: str) -> FormTypeDefinition | None:
    """The form type's current version (not kept: a new version may change it), or None
    if the department has no such form type."""
    try:
        body = await cycles.get(f"/form-types/{segment(form_type_id)}")
    except (NotFound, Refused):
        return None
    return FormTypeDefinition.model_validate(body["definition"])


async def form_name(cycles: DepartmentApi, form_type_id: str) -> str:
    """The form type's name as its current version has it (its id if there is none)."""
    current = await current_definition(cycles, form_type_id)
    return current.name if current is not None else form_type_id


async def shown_form(
    cycles: DepartmentApi, department_id: str, obligation: dict[str, Any]
) -> FormTypeDefinition | None:
    """The form to show an obligation's answers with, on a caseworker's page: the version
    its period was opened with; while that cannot be read, the current version; None if
    there is neither (the answers are then shown under their ids)."""
    form_type_id = str(obligation["form_type_id"])
    try:
        version = await form_type_version(
            cycles, department_id, form_type_id, str(obligation["period_key"])
        )
        return await definition(cycles, department_id, form_type_id, version)
    except (NotFound, Refused, httpx.HTTPStatusError):
        return await current_definition(cycles, form_type_id)


def _keep(kept: dict[K, V], key: K, value: V) -> None:
    if len(kept) >= _KEPT:
        kept.clear()
    kept[key] = value


def period_words(start: date | str, end: date | str) -> str:
    """A period as a filer says it: "October to December 2026"."""
    first = date.fromisoformat(start) if isinstance(start, str) else start
    last = date.fromisoformat(end) if isinstance(end, str) else end
    if (first.year, first.month) == (last.year, last.month):
        return f"{last:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"
