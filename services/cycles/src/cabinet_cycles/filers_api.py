"""The filer register routes: one filer at a time, the whole register, and CSV import
(all or nothing, with a row-by-row report)."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, CurrentPrincipal, allow, ensure_sees_filer
from cabinet_common.auth.principal import ADMINISTRATION, STAFF
from cabinet_common.database import serialize
from cabinet_common.identifiers import Slug
from cabinet_common.problems import MAX_ITEMS, Problem, ProblemItem, responses
from cabinet_common.service import DbSession
from cabinet_cycles.departments import department_or_404
from cabinet_cycles.filer_import import RESERVED_FILER_IDS, FilerRow, read_register
from cabinet_cycles.schemas import (
    FilerImportReport,
    FilerIn,
    FilerOut,
    ImportedRow,
    ImportOutcome,
)
from cabinet_cycles.tables import Filer, FormType

router = APIRouter(
    prefix="/departments/{department_id}/filers",
    tags=["register"],
    dependencies=[DEPARTMENT_MEMBERS],
)
CSV_MEDIA_TYPE = "text/csv"
NO_FILER = "No such filer in this department"

_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            CSV_MEDIA_TYPE: {
                "schema": {"type": "string"},
                "example": "filer_id,name,contact_email,form_type_ids\n"
                "acme-ltd,Acme Ltd,returns@acme.example,vat-return;expenses\n",
            }
        },
    }
}


@router.get("", response_model=list[FilerOut], dependencies=[allow(STAFF)])
async def list_filers(department_id: str, session: DbSession) -> list[FilerOut]:
    filers = await session.scalars(
        select(Filer).where(Filer.department_id == department_id).order_by(Filer.filer_id)
    )
    return [_filer_out(filer) for filer in filers]


@router.get(
    "/{filer_id}",
    response_model=FilerOut,
    responses=responses({404: "No such filer in this department (or not this filer)"}),
)
async def get_filer(
    department_id: str, filer_id: str, session: DbSession, principal: CurrentPrincipal
) -> FilerOut:
    """One filer of the register: staff see any, a filer only itself."""
    ensure_sees_filer(principal, filer_id, "NO_SUCH_FILER", NO_FILER)
    filer = await session.get(Filer, (department_id, filer_id))
    if filer is None:
        raise Problem(404, "NO_SUCH_FILER", NO_FILER)
    return _filer_out(filer)


@router.put(
    "/{filer_id}",
    response_model=FilerOut,
    dependencies=[allow(ADMINISTRATION)],
    responses=responses(
        {
            404: "No such department",
            405: "`import` is not a filer id: send the register with POST .../filers/import",
            422: "The filer is not valid, or names a form type the department does not have",
        }
    ),
)
async def put_filer(
    department_id: str, filer_id: Slug, body: FilerIn, session: DbSession
) -> FilerOut:
    if filer_id in RESERVED_FILER_IDS:
        # PUT .../filers/import: the import route, sent with the wrong method.
        raise Problem(
            405,
            "METHOD_NOT_ALLOWED",
            "Send a register to import with POST .../filers/import",
            headers={"Allow": "POST"},
        )
    async with session.begin():
        # Writes of one department's register take turns (each reads what exists first).
        await serialize(session, "filers", department_id)
        await department_or_404(session, department_id)
        known = await _form_type_ids(session, department_id)
        for form_type_id in body.form_type_ids:
            if form_type_id not in known:
                raise Problem(422, "NO_SUCH_FORM_TYPE", f"No form type {form_type_id!r}")
        await session.merge(
            Filer(department_id=department_id, filer_id=filer_id, **body.model_dump(mode="json"))
        )
    return FilerOut(filer_id=filer_id, **body.model_dump())


@router.post(
    "/import",
    dependencies=[allow(ADMINISTRATION)],
    response_model=FilerImportReport,
    openapi_extra=_CSV_BODY,
    responses=responses(
        {
            404: "No such department",
            415: "Not sent as text/csv",
            422: "Nothing was imported: each wrong row listed",
        }
    ),
)
async def import_filers(department_id: str, request: Request, session: DbSession) -> Any:
    """Add or update every filer in a CSV file (columns filer_id, name, contact_email,
    form_type_ids; form type ids separated by semicolons). If any row is wrong, nothing is
    written and the answer lists each wrong row and why."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != CSV_MEDIA_TYPE:
        raise Problem(415, "UNSUPPORTED_MEDIA_TYPE", "Send the register as text/csv")
    content = await request.body()
    async with session.begin():
        # Writes of one department's register take turns (each reads what exists first).
        await serialize(session, "filers", department_id)
        await department_or_404(session, department_id)
        # Parsed in a thread: a register of megabytes must not hold up the event loop.
        register = await asyncio.to_thread(
            read_register, content, await _form_type_ids(session, department_id)
        )
        if register.problems:
            items = [
                ProblemItem(code="INVALID_ROW", row=p.row, detail=f"Row {p.row}: {error}")
                for p in register.problems
                for error in p.errors
            ]
            detail = "Nothing was imported: correct the rows listed and send the whole file again"
            if len(items) > MAX_ITEMS:
                # A bounded answer: the first rows wrong, and how many more there are.
                detail += (
                    f" (the first {MAX_ITEMS} problems are listed; {len(items) - MAX_ITEMS:,} more)"
                )
            raise Problem(422, "INVALID_ROWS", detail, items[:MAX_ITEMS])
        existing = {
            filer.filer_id: filer
            for filer in await session.scalars(
                select(Filer).where(Filer.department_id == department_id)
            )
        }
        rows = [_upsert(session, department_id, existing, row) for row in register.filers]
    return FilerImportReport(
        created=sum(row.outcome == "created" for row in rows),
        updated=sum(row.outcome == "updated" for row in rows),
        unchanged=sum(row.outcome == "unchanged" for row in rows),
        rows=rows,
    )


def _upsert(
    session: AsyncSession, department_id: str, existing: dict[str, Filer], row: FilerRow
) -> ImportedRow:
    values = {
        "name": row.name,
        "contact_email": row.contact_email,
        "form_type_ids": row.form_type_ids,
    }
    filer = existing.get(row.filer_id)
    outcome: ImportOutcome
    if filer is None:
        session.add(Filer(department_id=department_id, filer_id=row.filer_id, **values))
        outcome = "created"
    elif all(getattr(filer, column) == value for column, value in values.items()):
        outcome = "unchanged"
    else:
        for column, value in values.items():
            setattr(filer, column, value)
        outcome = "updated"
    return ImportedRow(row=row.row, filer_id=row.filer_id, outcome=outcome)


async def _form_type_ids(session: AsyncSession, department_id: str) -> set[str]:
    ids = await session.scalars(
        select(FormType.form_type_id).where(FormType.department_id == department_id)
    )
    return set(ids)


def _filer_out(filer: Filer) -> FilerOut:
    return FilerOut(
        filer_id=filer.filer_id,
        name=filer.name,
        contact_email=filer.contact_email,
        form_type_ids=filer.form_type_ids,
    )
