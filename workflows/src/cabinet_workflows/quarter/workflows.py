"""The quarter workflow: fan the period's obligations out in bounded batches (each batch one
activity in the cycles service, which starts its obligation workflows), wait for the
quarter to close, then close every obligation and record the compliance figures.
Continue-as-new keeps its history small whatever the number of obligations."""

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from cabinet_common.quarter_workflow import (
        ACTIVITY_CLOSE_OBLIGATIONS,
        ACTIVITY_OPEN_OBLIGATIONS,
        ACTIVITY_OPEN_SCHEDULED_PERIOD,
        ACTIVITY_RECORD_QUARTER_CLOSED,
        QUARTER_WORKFLOW_TYPE,
        QUERY_PROGRESS,
        SCHEDULED_OPENING_WORKFLOW_TYPE,
        SIGNAL_CLOSE_NOW,
        CloseBatchRequest,
        CloseBatchResult,
        OpenBatchRequest,
        OpenBatchResult,
        QuarterClosedRequest,
        QuarterInput,
        QuarterPhase,
        QuarterProgress,
        ScheduledOpeningInput,
        ScheduledOpeningRequest,
    )

BATCH_TIMEOUT = timedelta(minutes=10)
# Recording the close waits for every obligation's final status to reach the audit chain.
CLOSE_RECORD_TIMEOUT = timedelta(hours=6)
HEARTBEAT_TIMEOUT = timedelta(minutes=2)
BATCH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# Well below Temporal's history limits: each batch adds a handful of events.
BATCHES_PER_RUN = 100
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn(name=QUARTER_WORKFLOW_TYPE)
class QuarterWorkflow:
    @workflow.init
    def __init__(self, quarter: QuarterInput) -> None:
        self._quarter = quarter
        self._progress = quarter.progress.model_copy(deep=True)
        self._close_now = False
        self._batches_this_run = 0

    @workflow.run
    async def run(self, quarter: QuarterInput) -> QuarterProgress:
        progress = self._progress
        while progress.phase == QuarterPhase.OPENING:
            opened = await workflow.execute_activity(
                ACTIVITY_OPEN_OBLIGATIONS,
                OpenBatchRequest(
                    key=quarter.key, after_filer_id=progress.open_cursor, limit=quarter.batch_size
                ),
                result_type=OpenBatchResult,
                task_queue=quarter.activity_task_queue,
                start_to_close_timeout=BATCH_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=BATCH_RETRY,
            )
            progress.opened += opened.opened
            progress.open_cursor = opened.last_filer_id
            if opened.done:
                progress.phase = QuarterPhase.OPEN
            await self._continue_as_new_if_long()

        if progress.phase == QuarterPhase.OPEN:
            remaining = quarter.closes_at - workflow.now()
            if remaining > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._close_now, timeout=remaining)
            progress.phase = QuarterPhase.CLOSING

        while progress.phase == QuarterPhase.CLOSING:
            closed = await workflow.execute_activity(
                ACTIVITY_CLOSE_OBLIGATIONS,
                CloseBatchRequest(
                    key=quarter.key,
                    after_obligation_id=progress.close_cursor,
                    limit=quarter.batch_size,
                ),
                result_type=CloseBatchResult,
                task_queue=quarter.activity_task_queue,
                start_to_close_timeout=BATCH_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=BATCH_RETRY,
            )
            progress.closed += closed.tallies.obligations
            progress.close_cursor = closed.last_obligation_id
            progress.tallies = progress.tallies.plus(closed.tallies)
            if closed.done:
                await workflow.execute_activity(
                    ACTIVITY_RECORD_QUARTER_CLOSED,
                    QuarterClosedRequest(
                        key=quarter.key, tallies=progress.tallies, closed_at=workflow.now()
                    ),
                    task_queue=quarter.activity_task_queue,
                    start_to_close_timeout=CLOSE_RECORD_TIMEOUT,
                    heartbeat_timeout=HEARTBEAT_TIMEOUT,
                    retry_policy=BATCH_RETRY,
                )
                progress.phase = QuarterPhase.CLOSED
            await self._continue_as_new_if_long()
        return progress

    @workflow.query(name=QUERY_PROGRESS)
    def progress(self) -> QuarterProgress:
        return self._progress

    @workflow.signal(name=SIGNAL_CLOSE_NOW)
    def close_now(self) -> None:
        self._close_now = True

    async def _continue_as_new_if_long(self) -> None:
        self._batches_this_run += 1
        if (
            self._progress.phase != QuarterPhase.CLOSED
            and self._batches_this_run >= BATCHES_PER_RUN
        ) or workflow.info().is_continue_as_new_suggested():
            await workflow.wait_condition(workflow.all_handlers_finished)
            # An operator's close request must survive the new run.
            workflow.continue_as_new(
                self._quarter.model_copy(
                    update={"progress": self._progress, "closes_at": self._closes_at()}
                )
            )

    def _closes_at(self) -> datetime:
        return workflow.now() if self._close_now else self._quarter.closes_at


@workflow.defn(name=SCHEDULED_OPENING_WORKFLOW_TYPE)
class ScheduledPeriodOpening:
    """Started by a form type's schedule: opens the period its nominal time falls in."""

    @workflow.run
    async def run(self, opening: ScheduledOpeningInput) -> None:
        scheduled_for = (
            workflow.info().typed_search_attributes.get(SCHEDULED_START_TIME)
            or workflow.info().start_time
        )
        await workflow.execute_activity(
            ACTIVITY_OPEN_SCHEDULED_PERIOD,
            ScheduledOpeningRequest(
                department_id=opening.department_id,
                form_type_id=opening.form_type_id,
                scheduled_for=scheduled_for,
            ),
            task_queue=opening.activity_task_queue,
            start_to_close_timeout=BATCH_TIMEOUT,
            retry_policy=BATCH_RETRY,
        )
