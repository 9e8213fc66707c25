"""What the Temporal UI shows of an obligation, read back through the client: the summary
and details fixed at start (filer, form, period, due date), the current details the
workflow keeps up to date (status, last decision, who), and a summary on each activity."""

import uuid
from datetime import date

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle

from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_cycles.quarters import start_obligation_workflow
from cabinet_cycles.tables import Obligation
from tests.temporal_support import (
    FakeObligationActivities,
    check_result,
    checked,
    eventually,
    obligation_input,
    obligation_worker,
    received,
    time_skipping_env,
)


def obligation_row(due: date) -> Obligation:
    given = obligation_input(due)
    key = given.key
    return Obligation(
        obligation_id=given.obligation_id,
        department_id=key.department_id,
        form_type_id=key.form_type_id,
        form_type_version=1,
        filer_id=key.filer_id,
        period_key=key.period_key,
        period_start=given.period_start,
        period_end=given.period_end,
        due_date=due,
        deadlines=given.deadlines.model_dump(mode="json"),
        contact_email=given.contact_email,
        workflow_id=key.workflow_id,
        status=ObligationStatus.OPEN.value,
        status_sequence=0,
    )


async def test_the_temporal_ui_shows_what_the_obligation_is_and_where_it_stands() -> None:
    due = date(2027, 2, 7)
    row = obligation_row(due)
    async with time_skipping_env() as env:
        activities = FakeObligationActivities()
        task_queue = f"obligations-{uuid.uuid4()}"
        async with obligation_worker(env, activities, task_queue):
            await start_obligation_workflow(env.client, task_queue, row, filer_name="Acme Ltd")
            handle: WorkflowHandle[object, object] = env.client.get_workflow_handle(row.workflow_id)
            await received(handle, 1)  # type: ignore[arg-type]
            await check_result(handle, checked(1))  # type: ignore[arg-type]
            await eventually(
                handle,  # type: ignore[arg-type]
                lambda s: s.status == ObligationStatus.ACCEPTED,
                activities,
            )
            description = await handle.describe()
            metadata = await handle.query(
                "__temporal_workflow_metadata", result_type=WorkflowMetadata
            )
            # Encrypted in the history, like every payload: decoded with the client's codec.
            converter = env.client.data_converter
            summaries = [
                (await converter.decode([event.user_metadata.summary], [str]))[0]
                async for event in handle.fetch_history_events()
                if event.HasField("activity_task_scheduled_event_attributes")
            ]

    assert await description.static_summary() == f"Acme Ltd: vat {row.period_key}, due 7 Feb 2027"
    details = await description.static_details()
    assert details is not None
    assert "**Filer:** Acme Ltd (`filer-1`)" in details
    assert "**Due:** 7 Feb 2027" in details
    current = metadata.current_details
    assert current.startswith("**Status:** accepted")
    assert "Version 1 accepted" in current
    assert "**By:** system" in current
    reference = activities.acknowledgements[0].acknowledgement.reference
    assert f"Publish acknowledgement {reference} of version 1" in summaries
    assert any(s.startswith("Publish ") and "status change" in s for s in summaries)
