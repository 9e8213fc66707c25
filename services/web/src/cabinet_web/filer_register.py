"""Filers' names as the department's register has them, for the pages that show a name.
Staff pages fetch the whole register (a filer may read only its own entry), kept a short
while per department: a renamed filer shows within FRESH_SECONDS; a filer not in the copy kept
(newly registered) has it fetched again at once."""

import time
from collections.abc import Collection
from typing import Any

from cabinet_web.backend import Backend, NotFound, segment

FRESH_SECONDS = 60.0

_kept: dict[str, tuple[float, dict[str, str]]] = {}
clock = time.monotonic  # seconds (tests move it on)


async def filer_names(
    backend: Backend, department_id: str, including: Collection[str] = ()
) -> dict[str, str]:
    """Every filer of the department by id (fetched afresh if the copy kept is older than
    FRESH_SECONDS, or does not have every filer in `including`)."""
    kept = _kept.get(department_id)
    if (
        kept is not None
        and clock() - kept[0] < FRESH_SECONDS
        and all(filer_id in kept[1] for filer_id in including)
    ):
        return kept[1]
    return await _fetch(backend, department_id)


async def filer_name(backend: Backend, department_id: str, filer_id: str) -> str:
    """The filer's name (their id if the register does not have them)."""
    names = await filer_names(backend, department_id, including=[filer_id])
    return names.get(filer_id, filer_id)


async def own_name(backend: Backend, department_id: str, filer_id: str) -> str:
    """A filer's own name, read as that filer (their id if the register does not have them)."""
    try:
        filer = await backend.cycles(department_id).get(f"/filers/{segment(filer_id)}")
    except NotFound:
        return filer_id
    return str(filer["name"])


async def _fetch(backend: Backend, department_id: str) -> dict[str, str]:
    filers: list[dict[str, Any]] = await backend.cycles(department_id).get("/filers")
    names = {str(f["filer_id"]): str(f["name"]) for f in filers}
    if len(_kept) > 500:
        _kept.clear()
    _kept[department_id] = (clock(), names)
    return names


def forget() -> None:
    """Drop every copy kept (tests)."""
    _kept.clear()
