"""The obligations gauge (by department, form type, period and status), counted from the
read model when /metrics is scraped."""

from sqlalchemy import func, select

from cabinet_common.database import Sessions
from cabinet_common.observability.metrics import OBLIGATIONS, Refresher
from cabinet_cycles.tables import Obligation


def obligations_refresher(sessions: Sessions) -> Refresher:
    async def refresh() -> None:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(
                        Obligation.department_id,
                        Obligation.form_type_id,
                        Obligation.period_key,
                        Obligation.status,
                        func.count(),
                    ).group_by(
                        Obligation.department_id,
                        Obligation.form_type_id,
                        Obligation.period_key,
                        Obligation.status,
                    )
                )
            ).all()
        OBLIGATIONS.clear()  # a status no obligation has any more is gone, not stale
        for department, form_type, period, status, count in rows:
            OBLIGATIONS.labels(department, form_type, period, status).set(count)

    return refresh
