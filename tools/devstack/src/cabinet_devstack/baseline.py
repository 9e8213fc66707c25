"""The benchmark's raw baseline: the cheapest possible workflow, one trivial activity."""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def echo(value: str) -> str:
    return value


@workflow.defn
class BaselineWorkflow:
    @workflow.run
    async def run(self, value: str) -> str:
        return await workflow.execute_activity(
            echo, value, start_to_close_timeout=timedelta(seconds=30)
        )
