"""An obligation workflow carries its search attributes from the moment it is started, so a
quarter just opened is searchable in the Temporal UI before any worker has run a task of it."""

from datetime import UTC, date, datetime

from cabinet_common import search_attributes
from cabinet_common.deadlines import deadlines
from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_cycles.quarters import start_obligation_workflow
from cabinet_cycles.tables import Obligation
from tests.temporal_support import time_skipping_env


async def test_a_started_obligation_is_searchable_before_its_first_task() -> None:
    due = date(2026, 5, 7)
    schedule = deadlines(due, [-14, -3], 10)
    obligation = Obligation(
        obligation_id="ob-1",
        department_id="dept-1",
        form_type_id="vat-return",
        form_type_version=1,
        filer_id="filer-1",
        period_key="2026-Q1",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        due_date=due,
        deadlines=schedule.model_dump(mode="json"),
        contact_email="filer@example.org",
        workflow_id="obligation-ob-1",
    )
    async with time_skipping_env() as env:
        # No worker polls this queue: nothing but the start can have set the attributes.
        await start_obligation_workflow(env.client, "no-worker-here", obligation)
        described = await env.client.get_workflow_handle(obligation.workflow_id).describe()

    attributes = described.typed_search_attributes
    assert attributes.get(search_attributes.DEPARTMENT) == "dept-1"
    assert attributes.get(search_attributes.PERIOD_KEY) == "2026-Q1"
    assert attributes.get(search_attributes.FORM_TYPE) == "vat-return"
    assert attributes.get(search_attributes.OBLIGATION_STATUS) == ObligationStatus.OPEN.value
    # The UI shows the due day itself (7 May), not the instant it became overdue (8 May).
    assert attributes.get(search_attributes.DUE_DATE) == datetime(
        2026, 5, 7, 22, 59, 59, tzinfo=UTC
    )


def test_the_due_date_attribute_is_the_due_day_in_winter_and_summer() -> None:
    assert search_attributes.due_date_value(date(2027, 2, 7)) == datetime(
        2027, 2, 7, 23, 59, 59, tzinfo=UTC
    )
    assert search_attributes.due_date_value(date(2026, 8, 7)).date() == date(2026, 8, 7)
