"""The worker process: runs the obligation workflows and their activities, and the quarter
workflows, each on its own task queue."""

import asyncio

import structlog
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from cabinet_common.logging import configure_logging
from cabinet_common.messaging.kafka import ensure_topics, started_producer, watch_producer
from cabinet_common.observability.metrics import serve_metrics
from cabinet_common.observability.tracing import configure_tracing
from cabinet_common.supervision import keep_trying, supervised
from cabinet_common.temporal import connect_when_up
from cabinet_workflows.notifications import MailFolder
from cabinet_workflows.obligation.activities import ObligationActivities
from cabinet_workflows.obligation.workflows import ObligationWorkflow
from cabinet_workflows.quarter.workflows import QuarterWorkflow, ScheduledPeriodOpening
from cabinet_workflows.settings import WorkerSettings

log = structlog.get_logger(__name__)


def deployment_config(settings: WorkerSettings) -> WorkerDeploymentConfig | None:
    """This release as a version of the worker's Worker Deployment, or None (unversioned).

    Auto-upgrade: an obligation's workflow lives for a quarter and more, longer than any
    worker release, so pinning each workflow to the build it started on would strand it
    when that build's pods are gone. Instead a version takes no workflow task until it is
    made current, which a release does only once the replay gate has passed its code
    against the histories of every earlier release (tests/replay)."""
    if settings.worker_build_id is None:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(
            deployment_name=settings.worker_deployment_name, build_id=settings.worker_build_id
        ),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )


def build_worker(
    client: Client,
    activities: ObligationActivities,
    task_queue: str,
    deployment: WorkerDeploymentConfig | None = None,
    cache_size: int = WorkerSettings.model_fields["workflow_cache_size"].default,
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        deployment_config=deployment,
        max_cached_workflows=cache_size,
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
    watching = supervised("Kafka producer", lambda: watch_producer(producer))
    activities = ObligationActivities(producer, MailFolder(settings.mail_dir))
    queues = (settings.obligation_task_queue, settings.quarter_task_queue)
    deployment = deployment_config(settings)
    workers = [
        build_worker(client, activities, queue, deployment, settings.workflow_cache_size)
        for queue in queues
    ]
    log.info(
        "worker.polling",
        task_queues=list(queues),
        namespace=settings.temporal_namespace,
        build_id=settings.worker_build_id,
    )
    try:
        await asyncio.gather(*(worker.run() for worker in workers))
    finally:
        watching.cancel()
        await producer.stop()


def main() -> None:
    settings = WorkerSettings()
    configure_logging("worker", settings.log_level, settings.log_json)
    configure_tracing("worker", settings)
    if settings.metrics_port is not None:
        serve_metrics(settings.metrics_port, settings.metrics_host)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
