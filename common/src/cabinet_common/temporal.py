import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import DataConverter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from cabinet_common.messaging.failures import PermanentError
from cabinet_common.settings import TemporalPayloadKeySettings, TemporalSettings
from cabinet_common.supervision import keep_trying
from cabinet_common.temporal_codec import encrypted_data_converter


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


def data_converter(settings: TemporalPayloadKeySettings) -> DataConverter:
    """The one data converter of every Temporal client, worker, test environment and
    Replayer in Cabinet: pydantic models, every payload encrypted
    (cabinet_common.temporal_codec)."""
    return encrypted_data_converter(settings.payload_codec())


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    """TLS as the settings ask: off (the local dev server), on with the system's root CAs,
    or with a CA of its own, a server name to verify, and a client certificate (mTLS)."""
    cert, key = settings.temporal_tls_client_cert_file, settings.temporal_tls_client_key_file
    if (cert is None) != (key is None):
        raise ValueError(
            "mTLS needs both CABINET_TEMPORAL_TLS_CLIENT_CERT_FILE and"
            " CABINET_TEMPORAL_TLS_CLIENT_KEY_FILE"
        )
    ca = settings.temporal_tls_ca_file
    wanted = settings.temporal_tls or settings.temporal_api_key_file is not None
    if ca is None and cert is None and settings.temporal_tls_server_name is None:
        return wanted
    return TLSConfig(
        server_root_ca_cert=ca.read_bytes() if ca else None,
        domain=settings.temporal_tls_server_name,
        client_cert=cert.read_bytes() if cert else None,
        client_private_key=key.read_bytes() if key else None,
    )


def api_key(settings: TemporalSettings) -> str | None:
    path = settings.temporal_api_key_file
    return path.read_text().strip() if path is not None else None


async def connect(settings: TemporalSettings, lazy: bool = False) -> Client:
    """Every Temporal client in Cabinet exchanges pydantic models, encrypts its payloads,
    uses the TLS and API key the settings give, and carries the trace context into workflows
    and activities (workers made from it inherit all of it). A lazy client connects on its
    first call (and tries again on the next if Temporal was away), so a service starts
    while Temporal is down."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=tls_config(settings),
        api_key=api_key(settings),
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
