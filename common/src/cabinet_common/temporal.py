import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode

from cabinet_common.messaging.failures import PermanentError
from cabinet_common.settings import TemporalSettings
from cabinet_common.supervision import keep_trying


@cache
def _runtime(metrics_address: str | None) -> Runtime:
    """The SDK core's own logs go through Python logging, so they come out as JSON too; its
    metrics (workflow and activity task latencies, failures, poller counts...) are served
    for Prometheus on an address of their own when one is set."""
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding
    )
    metrics = (
        None
        if metrics_address is None
        else PrometheusConfig(
            bind_address=metrics_address,
            counters_total_suffix=True,
            unit_suffix=True,
            durations_as_seconds=True,
        )
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config, metrics=metrics))


async def connect(settings: TemporalSettings, lazy: bool = False) -> Client:
    """Every Temporal client in Cabinet exchanges pydantic models and carries the trace
    context into workflows and activities (workers made from it inherit both). A lazy
    client connects on its first call (and tries again on the next if Temporal was away),
    so a service starts while Temporal is down."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=_runtime(settings.temporal_sdk_metrics_address),
        interceptors=[TracingInterceptor()],
        lazy=lazy,
    )


async def connect_when_up(settings: TemporalSettings) -> Client:
    """A connected client, waiting and retrying while Temporal is away (a Worker cannot
    use a lazy client)."""
    return await keep_trying("Temporal", lambda: connect(settings))


# Temporal refuses the request itself, so the same event can never succeed (a payload over
# the blob size limit, a malformed id). Every other status (UNAVAILABLE, DEADLINE_EXCEEDED,
# RESOURCE_EXHAUSTED, a namespace not registered yet...) is an outage, or a configuration a
# person fixes, after which the same event succeeds: the consumer waits and retries it.
_REFUSALS = {RPCStatusCode.INVALID_ARGUMENT}


@contextmanager
def refusal_is_permanent() -> Iterator[None]:
    try:
        yield
    except RPCError as error:
        if error.status in _REFUSALS:
            raise PermanentError(f"Temporal refused the request: {error}") from error
        raise
