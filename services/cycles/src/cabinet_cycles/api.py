"""The cycles API: departments, the periods opened in them, and each obligation's status,
history and acknowledgement (and how many obligations are in each status)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, CurrentPrincipal, allow, ensure_sees_filer
from cabinet_common.auth.principal import ADMINISTRATION, STAFF, Principal
from cabinet_common.database import serialize
from cabinet_common.identifiers import Slug
from cabinet_common.obligation_workflow import ObligationStatus, ReasonModel
from cabinet_common.problems import Problem, responses
from cabinet_common.quarter_workflow import QuarterKey
from cabinet_common.service import DbSession
from cabinet_cycles.acknowledgements import render_html, render_pdf
from cabinet_cycles.schemas import (
    DepartmentIn,
    DepartmentOut,
    HistoryOut,
    ObligationOut,
    OpenedPeriodOut,
    StatusCount,
    StatusCountsOut,
)
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import (
    AcknowledgementDocument,
    Department,
    FormTypeVersion,
    Obligation,
    OpenedPeriod,
    QuarterClosure,
)

router = APIRouter(prefix="/departments/{department_id}", dependencies=[DEPARTMENT_MEMBERS])
NO_OBLIGATION = "No such obligation in this department"
_NOT_ISSUED = "No such obligation, or its acknowledgement is not issued yet"


@router.put(
    "", response_model=DepartmentOut, tags=["register"], dependencies=[allow(ADMINISTRATION)]
)
async def put_department(
    department_id: Slug, body: DepartmentIn, session: DbSession
) -> DepartmentOut:
    async with session.begin():
        await serialize(session, "department", department_id)
        await session.merge(Department(department_id=department_id, name=body.name))
    return DepartmentOut(department_id=department_id, name=body.name)


@router.get(
    "/periods",
    response_model=list[OpenedPeriodOut],
    tags=["quarters"],
    dependencies=[allow(STAFF)],
)
async def list_periods(
    department_id: str, request: Request, session: DbSession
) -> list[OpenedPeriodOut]:
    """Every period opened in the department, of every form type: the newest first."""
    query = (
        select(OpenedPeriod, FormTypeVersion.definition, QuarterClosure.closed_at)
        .join(
            FormTypeVersion,
            (FormTypeVersion.department_id == OpenedPeriod.department_id)
            & (FormTypeVersion.form_type_id == OpenedPeriod.form_type_id)
            & (FormTypeVersion.version == OpenedPeriod.form_type_version),
            isouter=True,
        )
        .join(
            QuarterClosure,
            (QuarterClosure.department_id == OpenedPeriod.department_id)
            & (QuarterClosure.form_type_id == OpenedPeriod.form_type_id)
            & (QuarterClosure.period_key == OpenedPeriod.period_key),
            isouter=True,
        )
        .where(OpenedPeriod.department_id == department_id)
        .order_by(
            OpenedPeriod.start.desc(), OpenedPeriod.form_type_id, OpenedPeriod.period_key.desc()
        )
    )
    settings: CyclesSettings = request.app.state.settings
    periods = []
    for opened, definition, closed_at in (await session.execute(query)).all():
        key = QuarterKey(
            department_id=department_id,
            form_type_id=opened.form_type_id,
            period_key=opened.period_key,
        )
        periods.append(
            OpenedPeriodOut(
                form_type_id=opened.form_type_id,
                form_type_name=(definition or {}).get("name") or opened.form_type_id,
                form_type_version=opened.form_type_version,
                period_key=opened.period_key,
                start=opened.start,
                end=opened.end,
                due=opened.due,
                opened_at=opened.opened_at,
                closes_at=opened.closes_at,
                closed_at=closed_at,
                quarter_workflow_id=key.workflow_id,
                quarter_workflow_url=workflow_url(settings, key.workflow_id),
            )
        )
    return periods


@router.get("/obligations", response_model=list[ObligationOut], tags=["obligations"])
async def list_obligations(
    department_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    form_type_id: str | None = None,
    period_key: str | None = None,
    filer_id: str | None = None,
    obligation_status: Annotated[str | None, Query(alias="status")] = None,
    after_filer_id: Annotated[
        str | None, Query(description="Page on: the last filer id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[ObligationOut]:
    """Obligations in filer order, a page at a time (a filer's own only)."""
    query = select(Obligation).where(Obligation.department_id == department_id)
    if principal.filer_id is not None:
        query = query.where(Obligation.filer_id == principal.filer_id)
    if after_filer_id:
        query = query.where(Obligation.filer_id > after_filer_id)
    if form_type_id:
        query = query.where(Obligation.form_type_id == form_type_id)
    if period_key:
        query = query.where(Obligation.period_key == period_key)
    if filer_id:
        query = query.where(Obligation.filer_id == filer_id)
    if obligation_status:
        query = query.where(Obligation.status == obligation_status)
    rows = (await session.scalars(query.order_by(Obligation.filer_id).limit(limit))).all()
    return [_obligation_out(row, request) for row in rows]


# Declared before /obligations/{obligation_id}, which would otherwise take this path.
@router.get(
    "/obligations/status-counts",
    response_model=StatusCountsOut,
    tags=["obligations"],
    dependencies=[allow(STAFF)],
)
async def obligation_status_counts(
    department_id: str,
    session: DbSession,
    form_type_id: str | None = None,
    period_key: str | None = None,
) -> StatusCountsOut:
    """How many obligations are in each status (of one form type and period, if asked),
    counted by the database: every known status in lifecycle order, 0 where there are none."""
    query = (
        select(Obligation.status, func.count())
        .where(Obligation.department_id == department_id)
        .group_by(Obligation.status)
    )
    if form_type_id:
        query = query.where(Obligation.form_type_id == form_type_id)
    if period_key:
        query = query.where(Obligation.period_key == period_key)
    counted: dict[str, int] = {row[0]: row[1] for row in (await session.execute(query)).all()}
    known = [s.value for s in ObligationStatus]
    others = sorted(s for s in counted if s not in known)
    return StatusCountsOut(
        form_type_id=form_type_id or None,
        period_key=period_key or None,
        total=sum(counted.values()),
        counts=[StatusCount(status=s, count=counted.get(s, 0)) for s in known + others],
    )


@router.get(
    "/obligations/{obligation_id}",
    response_model=ObligationOut,
    tags=["obligations"],
    responses=responses({404: "No such obligation in this department"}),
)
async def get_obligation(
    department_id: str,
    obligation_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ObligationOut:
    obligation = await _obligation(session, principal, department_id, obligation_id)
    return _obligation_out(obligation, request)


@router.get(
    "/obligations/{obligation_id}/acknowledgement",
    tags=["obligations"],
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}},
        404: {"description": _NOT_ISSUED},
    },
)
async def get_acknowledgement(
    department_id: str, obligation_id: str, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """The signed acknowledgement document (JSON), the same bytes on every fetch."""
    document = await _acknowledgement(session, principal, department_id, obligation_id)
    return Response(document, media_type="application/json")


@router.get(
    "/obligations/{obligation_id}/acknowledgement.html",
    tags=["obligations"],
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}}},
        404: {"description": _NOT_ISSUED},
    },
)
async def get_acknowledgement_html(
    department_id: str, obligation_id: str, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """The acknowledgement as a page to read or print, with the signed document on it."""
    document = await _acknowledgement(session, principal, department_id, obligation_id)
    return Response(render_html(document), media_type="text/html; charset=utf-8")


@router.get(
    "/obligations/{obligation_id}/acknowledgement.pdf",
    tags=["obligations"],
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        404: {"description": _NOT_ISSUED},
    },
)
async def get_acknowledgement_pdf(
    department_id: str, obligation_id: str, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """The acknowledgement as a PDF (the signed document attached), the same bytes each time."""
    document = await _acknowledgement(session, principal, department_id, obligation_id)
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="acknowledgement-{obligation_id}.pdf"'},
    )


async def _acknowledgement(
    session: DbSession, principal: Principal, department_id: str, obligation_id: str
) -> bytes:
    await _obligation(session, principal, department_id, obligation_id)
    acknowledgement = await session.get(AcknowledgementDocument, obligation_id)
    if acknowledgement is None:
        raise Problem(404, "NOT_ISSUED_YET", "No acknowledgement has been issued yet")
    return acknowledgement.document


async def _obligation(
    session: DbSession, principal: Principal, department_id: str, obligation_id: str
) -> Obligation:
    obligation = await session.get(Obligation, obligation_id)
    if obligation is None or obligation.department_id != department_id:
        raise Problem(404, "NO_SUCH_OBLIGATION", NO_OBLIGATION)
    ensure_sees_filer(principal, obligation.filer_id, "NO_SUCH_OBLIGATION", NO_OBLIGATION)
    return obligation


def workflow_url(settings: CyclesSettings, workflow_id: str) -> str:
    """Where an operator opens the workflow in the Temporal Web UI."""
    return (
        f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}"
        f"/workflows/{quote(workflow_id, safe='')}"
    )


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
        workflow_url=workflow_url(settings, obligation.workflow_id),
        acknowledgement_url=f"{base}/acknowledgement" if obligation.status == "accepted" else None,
        history=[
            HistoryOut(
                at=h.at,
                status=h.status,
                actor=h.actor,
                detail=h.detail,
                reasons=[ReasonModel.model_validate(r) for r in h.reasons or []],
            )
            for h in obligation.history
        ],
    )
