"""Every Prometheus metric Cabinet exports, defined once (prometheus-client, the process's
default registry). Label values are bounded: departments, form types, periods, statuses,
codes, topics and partitions, never an obligation, submission or receipt id.

Gauges that describe stored state (outbox rows, consumer lag, obligations by status) are
computed when /metrics is scraped, by the refreshers a process registers."""

from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

# Refreshers run (in order) before each scrape; each sets the gauges it owns.
Refresher = Callable[[], Awaitable[None]]

HTTP_REQUEST_DURATION = Histogram(
    "cabinet_http_request_duration_seconds",
    "HTTP requests served, by route template, method and status, with their durations.",
    ["method", "route", "status"],
)

CONSUMER_LAG = Gauge(
    "cabinet_consumer_lag_records",
    "Records on a partition not yet committed by the consumer group.",
    ["group", "topic", "partition"],
)
CONSUMER_RECORDS = Counter(
    "cabinet_consumer_records_processed_total",
    "Records a consumer group finished with, by outcome (processed, duplicate, dead_lettered).",
    ["group", "topic", "partition", "outcome"],
)
CONSUMER_RETRIES = Counter(
    "cabinet_consumer_retries_total",
    "Attempts at a record that failed and were tried again.",
    ["group", "topic", "partition"],
)
CONSUMER_RECORD_DURATION = Histogram(
    "cabinet_consumer_record_duration_seconds",
    "Time from taking a record to being done with it, retries included.",
    ["group", "topic", "partition"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
DEAD_LETTERED = Counter(
    "cabinet_dead_lettered_records_total",
    "Records sent to a dead-letter topic, by the topic they came from and why "
    "(invalid: not a Cabinet event; rejected: refused by the handler).",
    ["group", "topic", "reason"],
)
CONSUMER_WAITING_PARTITIONS = Gauge(
    "cabinet_consumer_waiting_partitions",
    "Partitions a consumer group holds back while it retries a record that keeps failing "
    "(their later records are set aside until it succeeds).",
    ["group"],
)
EVENTS_PUBLISHED = Counter(
    "cabinet_events_published_total",
    "Events published to Kafka, by topic.",
    ["topic"],
)
OUTBOX_WAITING = Gauge(
    "cabinet_outbox_rows_waiting", "Outbox rows written but not yet published to Kafka."
)
OUTBOX_OLDEST_AGE = Gauge(
    "cabinet_outbox_oldest_row_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none waits).",
)

SUBMISSIONS = Counter(
    "cabinet_submissions_total",
    "Submissions intake answered, by outcome "
    "(accepted, replayed, refused_invalid, refused_unknown_obligation, refused_conflict).",
    ["department", "form_type", "outcome"],
)
RECEIPT_CHECKS = Counter(
    "cabinet_receipt_checks_total",
    "Receipts checked, by the code the check gave each (OK when nothing was found).",
    ["department", "form_type", "code"],
)
OBLIGATIONS = Gauge(
    "cabinet_obligations",
    "Obligations by status, per department, form type and period.",
    ["department", "form_type", "period", "status"],
)


async def render(refreshers: list[Refresher]) -> tuple[bytes, str]:
    """The exposition text after every refresher has run, and its content type."""
    for refresh in refreshers:
        await refresh()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve /metrics on a port of its own, from a thread (the worker has no web app)."""
    start_http_server(port, addr=host)
