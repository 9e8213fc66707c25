"""Which form an obligation is filed on: the form type version its period was opened
with (cycles' period), and that version's definition. Both never change once published,
so each is fetched once per process and kept."""

from datetime import date
from typing import Any

from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_web.backend import DepartmentApi, segment
from cabinet_web.journey.outage import unavailable_as_503

_versions: dict[tuple[str, str, str], int] = {}
_definitions: dict[tuple[str, str, int], FormTypeDefinition] = {}


async def form_type_version(
    cycles: DepartmentApi, department_id: str, form_type_id: str, period_key: str
) -> int:
    key = (department_id, form_type_id, period_key)
    if key not in _versions:
        path = f"/form-types/{segment(form_type_id)}/periods/{segment(period_key)}"
        period = await _get(cycles, path)
        _versions[key] = int(period["form_type_version"])
    return _versions[key]


async def definition(
    cycles: DepartmentApi, department_id: str, form_type_id: str, version: int
) -> FormTypeDefinition:
    key = (department_id, form_type_id, version)
    if key not in _definitions:
        body = await _get(cycles, f"/form-types/{segment(form_type_id)}/versions/{version}")
        _definitions[key] = FormTypeDefinition.model_validate(body["definition"])
    return _definitions[key]


async def obligation_form(
    cycles: DepartmentApi, department_id: str, obligation: dict[str, str]
) -> tuple[int, FormTypeDefinition]:
    """The version and definition of an obligation's form (a cycles obligation)."""
    version = await form_type_version(
        cycles, department_id, obligation["form_type_id"], obligation["period_key"]
    )
    return version, await definition(cycles, department_id, obligation["form_type_id"], version)


async def _get(cycles: DepartmentApi, path: str) -> dict[str, Any]:
    # The period's version is read through its quarter workflow, which can be busy.
    with unavailable_as_503():
        body: dict[str, Any] = await cycles.get(path)
    return body


def period_words(start: date | str, end: date | str) -> str:
    """A period as a filer says it: "October to December 2026"."""
    first = date.fromisoformat(start) if isinstance(start, str) else start
    last = date.fromisoformat(end) if isinstance(end, str) else end
    if (first.year, first.month) == (last.year, last.month):
        return f"{last:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"
