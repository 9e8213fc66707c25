"""The worker process: runs the obligation workflows and their activities, and the quarter
workflows, each on its own task queue."""

import asyncio

from temporalio.client import Client
from temporalio.worker import Worker

from cabinet_common.logging import configure_logging
from cabinet_common.messaging.kafka import ensure_topics, started_producer
from cabinet_common.supervision import keep_trying
from cabinet_common.temporal import connect_when_up
from cabinet_workflows.notifications import MailFolder
from cabinet_workflows.obligation.activities import ObligationActivities
from cabinet_workflows.obligation.workflows import ObligationWorkflow
from cabinet_workflows.quarter.workflows import QuarterWorkflow, ScheduledPeriodOpening
from cabinet_workflows.settings import WorkerSettings


def build_worker(client: Client, activities: ObligationActivities, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ObligationWorkflow, QuarterWorkflow, ScheduledPeriodOpening],
        activities=[
            activities.publish_acknowledgement,
            activities.publish_return,
            activities.publish_status_changes,
            activities.send_reminder,
        ],
    )


async def run(settings: WorkerSettings) -> None:
    # Started while Temporal or Kafka is away, it waits for them instead of exiting.
    client = await connect_when_up(settings)
    await keep_trying("Kafka topics", lambda: ensure_topics(settings))
    producer = await keep_trying(
        "Kafka producer", lambda: started_producer(settings, "cabinet-worker")
    )
    activities = ObligationActivities(producer, MailFolder(settings.mail_dir))
    queues = (settings.obligation_task_queue, settings.quarter_task_queue)
    try:
        await asyncio.gather(*(build_worker(client, activities, queue).run() for queue in queues))
    finally:
        await producer.stop()


def main() -> None:
    settings = WorkerSettings()
    configure_logging("worker", settings.log_level, settings.log_json)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
