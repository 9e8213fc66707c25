"""The cycles API: departments, and each obligation's status, history and acknowledgement."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import select

from cabinet_common.service import DbSession
from cabinet_cycles.acknowledgements import render_html, render_pdf
from cabinet_cycles.schemas import (
    DepartmentIn,
    DepartmentOut,
    HistoryOut,
    ObligationOut,
    Slug,
)
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import AcknowledgementDocument, Department, Obligation

router = APIRouter(prefix="/departments/{department_id}")
SlugPath = Annotated[str, Slug]


@router.put("", response_model=DepartmentOut, tags=["register"])
async def put_department(
    department_id: SlugPath, body: DepartmentIn, session: DbSession
) -> DepartmentOut:
    async with session.begin():
        await session.merge(Department(department_id=department_id, name=body.name))
    return DepartmentOut(department_id=department_id, name=body.name)


@router.get("/obligations", response_model=list[ObligationOut], tags=["obligations"])
async def list_obligations(
    department_id: str,
    request: Request,
    session: DbSession,
    period_key: str | None = None,
    filer_id: str | None = None,
    obligation_status: Annotated[str | None, Query(alias="status")] = None,
    after_filer_id: Annotated[
        str | None, Query(description="Page on: the last filer id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[ObligationOut]:
    """Obligations in filer order, a page at a time."""
    query = select(Obligation).where(Obligation.department_id == department_id)
    if after_filer_id:
        query = query.where(Obligation.filer_id > after_filer_id)
    if period_key:
        query = query.where(Obligation.period_key == period_key)
    if filer_id:
        query = query.where(Obligation.filer_id == filer_id)
    if obligation_status:
        query = query.where(Obligation.status == obligation_status)
    rows = (await session.scalars(query.order_by(Obligation.filer_id).limit(limit))).all()
    return [_obligation_out(row, request) for row in rows]


@router.get("/obligations/{obligation_id}", response_model=ObligationOut, tags=["obligations"])
async def get_obligation(
    department_id: str, obligation_id: str, request: Request, session: DbSession
) -> ObligationOut:
    return _obligation_out(await _obligation(session, department_id, obligation_id), request)


@router.get(
    "/obligations/{obligation_id}/acknowledgement",
    tags=["obligations"],
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, 404: {"description": "Not issued yet"}},
)
async def get_acknowledgement(
    department_id: str, obligation_id: str, session: DbSession
) -> Response:
    """The signed acknowledgement document (JSON), the same bytes on every fetch."""
    document = await _acknowledgement(session, department_id, obligation_id)
    return Response(document, media_type="application/json")


@router.get(
    "/obligations/{obligation_id}/acknowledgement.html",
    tags=["obligations"],
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}, 404: {"description": "Not issued yet"}},
)
async def get_acknowledgement_html(
    department_id: str, obligation_id: str, session: DbSession
) -> Response:
    """The acknowledgement as a page to read or print, with the signed document on it."""
    document = await _acknowledgement(session, department_id, obligation_id)
    return Response(render_html(document), media_type="text/html; charset=utf-8")


@router.get(
    "/obligations/{obligation_id}/acknowledgement.pdf",
    tags=["obligations"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "Not issued yet"}},
)
async def get_acknowledgement_pdf(
    department_id: str, obligation_id: str, session: DbSession
) -> Response:
    """The acknowledgement as a PDF (the signed document attached), the same bytes each time."""
    document = await _acknowledgement(session, department_id, obligation_id)
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="acknowledgement-{obligation_id}.pdf"'},
    )


async def _acknowledgement(session: DbSession, department_id: str, obligation_id: str) -> bytes:
    await _obligation(session, department_id, obligation_id)
    acknowledgement = await session.get(AcknowledgementDocument, obligation_id)
    if acknowledgement is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No acknowledgement has been issued yet")
    return acknowledgement.document


async def _obligation(session: DbSession, department_id: str, obligation_id: str) -> Obligation:
    obligation = await session.get(Obligation, obligation_id)
    if obligation is None or obligation.department_id != department_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such obligation in this department")
    return obligation


def _obligation_out(obligation: Obligation, request: Request) -> ObligationOut:
    settings: CyclesSettings = request.app.state.settings
    base = f"/departments/{obligation.department_id}/obligations/{obligation.obligation_id}"
    return ObligationOut(
        obligation_id=obligation.obligation_id,
        department_id=obligation.department_id,
        form_type_id=obligation.form_type_id,
        filer_id=obligation.filer_id,
        period_key=obligation.period_key,
        period_start=obligation.period_start,
        period_end=obligation.period_end,
        due_date=obligation.due_date,
        status=obligation.status,
        submission_id=obligation.submission_id,
        workflow_id=obligation.workflow_id,
        workflow_url=f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}"
        f"/workflows/{quote(obligation.workflow_id, safe='')}",
        acknowledgement_url=f"{base}/acknowledgement" if obligation.status == "accepted" else None,
        history=[
            HistoryOut(at=h.at, status=h.status, actor=h.actor, detail=h.detail)
            for h in obligation.history
        ],
    )
