"""OpenTelemetry tracing for a Cabinet process, and the W3C trace context that events carry
on Kafka (``traceparent``/``tracestate`` headers: the CloudEvents distributed-tracing
attributes), so one filing is one trace from the POST to its acknowledgement.

Spans are exported only when asked: to an OTLP/HTTP collector (``CABINET_OTLP_ENDPOINT``)
and/or appended as JSON lines to a file (``CABINET_TRACES_FILE``, for tests). Without
either, the API's no-op tracer still carries incoming trace context through."""

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from cabinet_common.settings import CommonSettings

TRACE_HEADERS = ("traceparent", "tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()
tracer = trace.get_tracer("cabinet")


class JsonLinesSpanExporter(SpanExporter):
    """Appends each finished span as one JSON line (OpenTelemetry's own JSON of a span)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(json.loads(span.to_json())) + "\n" for span in spans)
        with self._lock, self._path.open("a", encoding="utf-8") as file:
            file.write(lines)
        return SpanExportResult.SUCCESS


def configure_tracing(service: str, settings: CommonSettings) -> None:
    """Install the process's tracer provider when an exporter is configured."""
    if settings.otlp_endpoint is None and settings.traces_file is None:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"cabinet-{service}"}))
    if settings.traces_file is not None:
        provider.add_span_processor(
            BatchSpanProcessor(
                JsonLinesSpanExporter(settings.traces_file), schedule_delay_millis=200
            )
        )
    if settings.otlp_endpoint is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)


def current_trace_headers() -> dict[str, str]:
    """The current span's context as W3C headers (empty when there is no valid span)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def context_from(headers: Mapping[str, str]) -> context.Context:
    return _PROPAGATOR.extract(dict(headers))


@contextmanager
def continued_span(
    name: str,
    headers: Mapping[str, str],
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[trace.Span]:
    """A span continuing the trace that `headers` carry (a new trace when they carry none)."""
    with tracer.start_as_current_span(
        name, context=context_from(headers), kind=kind, attributes=attributes
    ) as span:
        yield span
