"""Opening a period: one obligation per enrolled filer, each announced by ObligationOpened
through the outbox. Opening the same period again opens nothing."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet_common.events import Event
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_common.obligation_workflow import ObligationKey, ObligationStatus
from cabinet_cycles import periods
from cabinet_cycles.tables import Filer, FormType, Obligation, ObligationHistory, OpenedPeriod

SOURCE = "/cabinet/cycles"


async def open_period(
    session: AsyncSession, form_type: FormType, period: periods.Period
) -> tuple[OpenedPeriod, int]:
    """Returns the period and how many obligations this call opened."""
    existing = await session.get(
        OpenedPeriod, (form_type.department_id, form_type.form_type_id, period.key)
    )
    if existing is not None:
        return existing, 0
    now = datetime.now(UTC)
    opened = OpenedPeriod(
        department_id=form_type.department_id,
        form_type_id=form_type.form_type_id,
        period_key=period.key,
        start=period.start,
        end=period.end,
        due=periods.due_date(
            period.end, form_type.due_months_after_period_end, form_type.due_days_after
        ),
        form_type_version=form_type.version,
        opened_at=now,
    )
    session.add(opened)
    filers = (
        await session.scalars(
            select(Filer)
            .where(Filer.department_id == form_type.department_id)
            .order_by(Filer.filer_id)
        )
    ).all()
    enrolled = [f for f in filers if form_type.form_type_id in f.form_type_ids]
    for filer in enrolled:
        obligation = _obligation(opened, filer)
        session.add(obligation)
        session.add(
            ObligationHistory(
                obligation_id=obligation.obligation_id,
                at=now,
                event="opened",
                detail=f"Due {opened.due:%-d %B %Y}",
            )
        )
        add_to_outbox(session, _obligation_opened(opened, obligation, now))
    return opened, len(enrolled)


def _obligation(opened: OpenedPeriod, filer: Filer) -> Obligation:
    key = ObligationKey(
        department_id=opened.department_id,
        form_type_id=opened.form_type_id,
        filer_id=filer.filer_id,
        period_key=opened.period_key,
    )
    return Obligation(
        obligation_id=key.obligation_id,
        department_id=key.department_id,
        form_type_id=key.form_type_id,
        filer_id=key.filer_id,
        period_key=key.period_key,
        period_start=opened.start,
        period_end=opened.end,
        due_date=opened.due,
        overdue_at=periods.overdue_at(opened.due),
        workflow_id=key.workflow_id,
        status=ObligationStatus.OPEN.value,
        status_version=0,
        status_rank=0,
    )


def _obligation_opened(opened: OpenedPeriod, obligation: Obligation, now: datetime) -> Event:
    opened_at = Timestamp()
    opened_at.FromDatetime(now)
    payload = events_pb2.ObligationOpened(
        obligation=types_pb2.ObligationRef(
            obligation_id=obligation.obligation_id,
            department_id=obligation.department_id,
            form_type_id=obligation.form_type_id,
            filer_id=obligation.filer_id,
            period_key=obligation.period_key,
        ),
        form_type_version=opened.form_type_version,
        period_start=opened.start.isoformat(),
        period_end=opened.end.isoformat(),
        due_date=opened.due.isoformat(),
        opened_at=opened_at,
    )
    return Event(payload=payload, key=obligation.obligation_id, source=SOURCE)
