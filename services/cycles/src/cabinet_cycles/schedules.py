"""Quarters open themselves: one Temporal Schedule per form type, on a calendar in
Europe/London, starts the workflow that opens the period its nominal time falls in.
Operators pause it, trigger it now, or backfill a missed quarter."""

from datetime import date, datetime, time, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from cabinet_common.deadlines import london_instant
from cabinet_common.quarter_workflow import SCHEDULED_OPENING_WORKFLOW_TYPE, ScheduledOpeningInput
from cabinet_cycles.settings import CyclesSettings

# Quarters of both cadences start in these months; the schedule fires five minutes into
# the first day, London time, so it opens the quarter that has just begun.
QUARTER_START_MONTHS = (1, 4, 7, 10)


def schedule_id(department_id: str, form_type_id: str) -> str:
    return f"open-periods:{department_id}:{form_type_id}"


def _schedule(department_id: str, form_type_id: str, settings: CyclesSettings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            SCHEDULED_OPENING_WORKFLOW_TYPE,
            ScheduledOpeningInput(
                department_id=department_id,
                form_type_id=form_type_id,
                activity_task_queue=settings.cycles_task_queue,
            ),
            id=f"open-period:{department_id}:{form_type_id}",
            task_queue=settings.quarter_task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    month=[ScheduleRange(m) for m in QUARTER_START_MONTHS],
                    day_of_month=[ScheduleRange(1)],
                    hour=[ScheduleRange(0)],
                    minute=[ScheduleRange(5)],
                    comment="First day of each quarter, 00:05 London time",
                )
            ],
            time_zone_name="Europe/London",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ALL),
    )


class ScheduleKeeper:
    """Keeps one schedule per form type in Temporal."""

    def __init__(self, client: Client, settings: CyclesSettings) -> None:
        self._client = client
        self._settings = settings

    async def ensure(self, department_id: str, form_type_id: str) -> None:
        """Create the form type's schedule, or bring an existing one up to date."""
        wanted = _schedule(department_id, form_type_id, self._settings)
        try:
            await self._client.create_schedule(schedule_id(department_id, form_type_id), wanted)
        except ScheduleAlreadyRunningError:

            def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
                wanted.state = current.description.schedule.state  # paused stays paused
                return ScheduleUpdate(schedule=wanted)

            await handle(self._client, department_id, form_type_id).update(keep_state)


def handle(client: Client, department_id: str, form_type_id: str) -> ScheduleHandle:
    return client.get_schedule_handle(schedule_id(department_id, form_type_id))


async def backfill(schedule: ScheduleHandle, period_start: datetime) -> None:
    """Run the schedule's action as it would have run when this quarter began."""
    await schedule.backfill(
        ScheduleBackfill(
            start_at=period_start,
            end_at=period_start + timedelta(days=1),
            overlap=ScheduleOverlapPolicy.ALLOW_ALL,
        )
    )


def quarter_start_instant(period_start: date) -> datetime:
    """The instant the schedule fires for a quarter starting on this day."""
    return london_instant(period_start, time(0, 5))
