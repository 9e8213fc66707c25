"""The cycles API: the register (departments, form types, filers), opening periods, and
each obligation's status, history and acknowledgement."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import select

from cabinet_common.service import DbSession
from cabinet_cycles import periods
from cabinet_cycles.opening import open_period
from cabinet_cycles.schemas import (
    DepartmentIn,
    DepartmentOut,
    FilerIn,
    FilerOut,
    FormTypeIn,
    FormTypeOut,
    HistoryOut,
    ObligationOut,
    OpenPeriodIn,
    PeriodOut,
    Slug,
)
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import (
    AcknowledgementDocument,
    Department,
    Filer,
    FormType,
    Obligation,
)

router = APIRouter(prefix="/departments/{department_id}")
SlugPath = Annotated[str, Slug]


async def _department(session: DbSession, department_id: str) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such department")
    return department


@router.put("", response_model=DepartmentOut, tags=["register"])
async def put_department(
    department_id: SlugPath, body: DepartmentIn, session: DbSession
) -> DepartmentOut:
    async with session.begin():
        await session.merge(Department(department_id=department_id, name=body.name))
    return DepartmentOut(department_id=department_id, name=body.name)


@router.put("/form-types/{form_type_id}", response_model=FormTypeOut, tags=["register"])
async def put_form_type(
    department_id: str, form_type_id: SlugPath, body: FormTypeIn, session: DbSession
) -> FormType:
    """Create a form type, or publish a new version of it. Periods already opened keep the
    version they were opened with."""
    async with session.begin():
        await _department(session, department_id)
        form_type = await session.get(FormType, (department_id, form_type_id))
        if form_type is None:
            form_type = FormType(department_id=department_id, form_type_id=form_type_id, version=0)
            session.add(form_type)
        changed = form_type.version == 0 or (
            form_type.name,
            form_type.due_months_after_period_end,
            form_type.due_days_after,
        ) != (body.name, body.due_months_after_period_end, body.due_days_after)
        if changed:
            form_type.version += 1
            form_type.name = body.name
            form_type.due_months_after_period_end = body.due_months_after_period_end
            form_type.due_days_after = body.due_days_after
    return form_type


@router.put("/filers/{filer_id}", response_model=FilerOut, tags=["register"])
async def put_filer(
    department_id: str, filer_id: SlugPath, body: FilerIn, session: DbSession
) -> FilerOut:
    async with session.begin():
        await _department(session, department_id)
        for form_type_id in body.form_type_ids:
            if await session.get(FormType, (department_id, form_type_id)) is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT, f"No form type {form_type_id!r}"
                )
        await session.merge(
            Filer(department_id=department_id, filer_id=filer_id, **body.model_dump(mode="json"))
        )
    return FilerOut(filer_id=filer_id, **body.model_dump())


@router.post(
    "/form-types/{form_type_id}/periods",
    response_model=PeriodOut,
    status_code=status.HTTP_201_CREATED,
    tags=["periods"],
    responses={200: {"description": "The period was already open; nothing new was opened"}},
)
async def post_period(
    department_id: str,
    form_type_id: str,
    body: OpenPeriodIn,
    response: Response,
    session: DbSession,
) -> PeriodOut:
    """Open a quarter: one obligation, and one workflow, per filer enrolled in the form."""
    try:
        period = periods.quarter(body.period_key)
    except periods.InvalidPeriodKey as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    async with session.begin():
        form_type = await session.get(FormType, (department_id, form_type_id))
        if form_type is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such form type in this department")
        opened, count = await open_period(session, form_type, period)
    if count == 0:
        response.status_code = status.HTTP_200_OK
    return PeriodOut(
        period_key=opened.period_key,
        start=opened.start,
        end=opened.end,
        due=opened.due,
        form_type_version=opened.form_type_version,
        obligations_opened=count,
    )


@router.get("/obligations", response_model=list[ObligationOut], tags=["obligations"])
async def list_obligations(
    department_id: str,
    request: Request,
    session: DbSession,
    period_key: str | None = None,
    filer_id: str | None = None,
    obligation_status: Annotated[str | None, Query(alias="status")] = None,
) -> list[ObligationOut]:
    query = select(Obligation).where(Obligation.department_id == department_id)
    if period_key:
        query = query.where(Obligation.period_key == period_key)
    if filer_id:
        query = query.where(Obligation.filer_id == filer_id)
    if obligation_status:
        query = query.where(Obligation.status == obligation_status)
    rows = (await session.scalars(query.order_by(Obligation.filer_id))).all()
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
    """The acknowledgement document, the same bytes on every fetch."""
    await _obligation(session, department_id, obligation_id)
    acknowledgement = await session.get(AcknowledgementDocument, obligation_id)
    if acknowledgement is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No acknowledgement has been issued yet")
    return Response(acknowledgement.document, media_type="application/json")


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
        history=[HistoryOut(at=h.at, event=h.event, detail=h.detail) for h in obligation.history],
    )
