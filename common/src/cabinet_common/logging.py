"""The one place where Cabinet's processes set up structured (JSON) logging."""

import logging
import sys
import time

import structlog
from opentelemetry import trace


def add_trace_ids(
    logger: object, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """The current span's trace and span ids, as hex, so a log line finds its trace."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = format(span_context.trace_id, "032x")
        event_dict["span_id"] = format(span_context.span_id, "016x")
    return event_dict


class RepeatsDropped(logging.Filter):
    """Lets one of each message of the named loggers through per window and drops its
    repeats, counting them on the next one let through. For aiokafka, whose clients log
    every failed connection and metadata attempt: with Kafka away, each of a worker's
    waiting sends retries every 100 ms, thousands of identical lines a second (360 MB in
    a 3-minute outage)."""

    def __init__(self, logger: str, window_s: float = 30.0) -> None:
        super().__init__()
        self._logger = logger
        self._window_s = window_s
        self._seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != self._logger and not record.name.startswith(f"{self._logger}."):
            return True
        key = f"{record.name}:{record.levelno}:{record.getMessage()}"
        now = time.monotonic()
        first, dropped = self._seen.get(key, (0.0, 0))
        if now - first < self._window_s:
            self._seen[key] = (first, dropped + 1)
            return False
        if len(self._seen) > 1000:
            self._seen.clear()
        self._seen[key] = (now, 0)
        if dropped:
            record.repeats_dropped = dropped
        return True


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library (uvicorn, aiokafka, temporalio) to one stream."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.CallsiteParameterAdder(
            {structlog.processors.CallsiteParameter.MODULE}
        ),
        add_trace_ids,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder({"repeats_dropped"})],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatsDropped("aiokafka"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
