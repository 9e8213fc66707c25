from pathlib import Path

from cabinet_common.settings import CommonSettings, TemporalSettings


class WorkerSettings(CommonSettings, TemporalSettings):
    # Where the local notification adapter delivers reminders, one .eml file each.
    mail_dir: Path = Path(".stack/data/mail")
    # How long Temporal keeps a closed workflow's history, when cabinet-temporal-setup
    # creates the namespace (an existing namespace keeps its own).
    temporal_retention_days: int = 30
    # Temporal worker versioning. With a build id (the image tag, in Kubernetes) the worker
    # polls as that version of the Worker Deployment below, and takes workflow tasks only
    # once the version is made current (or ramping): see deploy/README.md. Unset (the local
    # stack, the tests), it polls unversioned.
    worker_build_id: str | None = None
    worker_deployment_name: str = "cabinet-worker"
    # How many workflows each task queue's worker keeps in memory between their tasks.
    # An evicted one is replayed from its history at its next task (CPU for memory):
    # the SDK's default of 1000 a queue took the worker past 380 MB in `make bench`.
    workflow_cache_size: int = 200
    # The worker's own Prometheus metrics (http://<host>:<port>/metrics); unset, none.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
