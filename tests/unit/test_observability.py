"""Metrics and trace context, in process: the trace travels in Kafka headers, log lines
carry its ids, /metrics reports requests by route template and submissions by outcome,
and the gauges of stored state (outbox, obligations by status) are counted when scraped."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet_common.database import create_engine, session_factory
from cabinet_common.events import Event, from_kafka, to_kafka
from cabinet_common.logging import add_trace_ids
from cabinet_common.messaging.metrics import refresh_outbox
from cabinet_common.messaging.outbox import OutboxMessage, add_to_outbox
from cabinet_common.migrations import migrate_engine
from cabinet_common.observability.tracing import continued_span
from cabinet_cycles.metrics import obligations_refresher
from cabinet_cycles.migrations import SCHEMA as CYCLES
from cabinet_cycles.tables import Obligation
from cabinet_intake.migrations import SCHEMA as INTAKE
from tests import receipt_files
from tests.unit.intake_support import line, running_intake
from tests.unit.test_cycles_dashboard_api import obligation

TRACEPARENT = "00-0af7651916cd43dd8460a211a67f2b31-b7ad6b7169203331-01"


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """A real SDK tracer provider for this module (the process has none by default)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter


def sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def reminder_event(**extra: object) -> Event:
    payload = obligations_pb2.ReminderDue(due_date="2027-02-07")
    return Event(payload=payload, key="obligation-1", source="/test", **extra)  # type: ignore[arg-type]


def test_an_event_carries_the_current_trace_in_its_headers(spans: InMemorySpanExporter) -> None:
    with continued_span("publish", {"traceparent": TRACEPARENT}) as span:
        record = to_kafka(reminder_event())
    headers = dict(record.headers)
    trace_id, span_id = headers["traceparent"].decode().split("-")[1:3]
    assert trace_id == "0af7651916cd43dd8460a211a67f2b31"
    assert span_id == format(span.get_span_context().span_id, "016x")
    assert from_kafka(record.key, record.value, record.headers).trace == {
        "traceparent": headers["traceparent"].decode()
    }


def test_an_event_outside_any_trace_has_no_trace_headers() -> None:
    record = to_kafka(reminder_event())
    assert "traceparent" not in dict(record.headers)
    assert from_kafka(record.key, record.value, record.headers).trace == {}


def test_an_event_decoded_from_kafka_keeps_its_own_trace_when_sent_on() -> None:
    forwarded = to_kafka(reminder_event(trace={"traceparent": TRACEPARENT}))
    assert dict(forwarded.headers)["traceparent"] == TRACEPARENT.encode()


def test_log_lines_carry_the_trace_and_span_ids(spans: InMemorySpanExporter) -> None:
    assert "trace_id" not in add_trace_ids(None, "info", {"event": "outside"})
    with continued_span("work", {"traceparent": TRACEPARENT}) as span:
        line_ = add_trace_ids(None, "info", {"event": "inside"})
    assert line_["trace_id"] == "0af7651916cd43dd8460a211a67f2b31"
    assert line_["span_id"] == format(span.get_span_context().span_id, "016x")


async def test_metrics_count_requests_by_route_template_and_submissions_by_outcome(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    route = "/departments/{department_id}/obligations/{obligation_id}/submissions"
    accepted_before = sample("cabinet_submissions_total", **_labels("accepted"))
    requests_before = sample(
        "cabinet_http_request_duration_seconds_count", method="POST", route=route, status="202"
    )
    async with running_intake(tmp_path) as intake:
        files = [receipt_files.pdf()]
        sent = await intake.submit([line("2026-08-01", 1500)], key="k-1", files=files)
        again = await intake.submit([line("2026-08-01", 1500)], key="k-1", files=files)
        other = await intake.submit([line("2026-08-01", 1600)], key="k-1")
        scrape = await intake.client.get("/metrics")
        outbox = await intake.form_submitted()
    assert (sent.status_code, again.status_code, other.status_code) == (202, 202, 409)
    assert scrape.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(scrape.text)}
    assert "cabinet_http_request_duration_seconds" in families
    assert sample("cabinet_submissions_total", **_labels("accepted")) == accepted_before + 1
    assert sample("cabinet_submissions_total", **_labels("replayed")) >= 1
    assert sample("cabinet_submissions_total", **_labels("refused_conflict")) >= 1
    assert (
        sample(
            "cabinet_http_request_duration_seconds_count",
            method="POST",
            route=route,
            status="202",
        )
        == requests_before + 2
    )
    # The POST's server span is the trace the FormSubmitted event carries on.
    post = next(s for s in spans.get_finished_spans() if s.name == f"POST {route}")
    assert post.context is not None
    stored = await _outbox_traceparent(tmp_path)
    assert stored.split("-")[1] == format(post.context.trace_id, "032x")
    assert len(outbox) == 1


def _labels(outcome: str) -> dict[str, str]:
    return {"department": "dept", "form_type": "vat-return", "outcome": outcome}


async def _outbox_traceparent(tmp_path: Path) -> str:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    async with session_factory(engine)() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    await engine.dispose()
    return dict(row.headers)["traceparent"]


async def test_outbox_gauges_count_waiting_rows_and_the_oldest_ones_age(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    await migrate_engine(engine, INTAKE)
    sessions = session_factory(engine)
    await refresh_outbox(sessions)
    assert (
        sample("cabinet_outbox_rows_waiting"),
        sample("cabinet_outbox_oldest_row_age_seconds"),
    ) == (0, 0)
    async with sessions.begin() as session:
        add_to_outbox(session, reminder_event(time=datetime.now(UTC)))
        add_to_outbox(session, reminder_event())
    async with sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == 1)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    await refresh_outbox(sessions)
    await engine.dispose()
    assert sample("cabinet_outbox_rows_waiting") == 2
    assert 299 < sample("cabinet_outbox_oldest_row_age_seconds") < 400


async def test_obligations_gauge_counts_each_status_per_department_form_and_period(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cycles.db'}")
    await migrate_engine(engine, CYCLES)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        session.add_all(
            [
                obligation("a", "overdue"),
                obligation("b", "overdue"),
                obligation("c", "accepted"),
                obligation("d", "open", period_key="2026-Q3"),
            ]
        )
    refresh = obligations_refresher(sessions)
    await refresh()
    labels = {"department": "demo", "form_type": "vat-return", "period": "2026-Q4"}
    assert sample("cabinet_obligations", **labels, status="overdue") == 2
    assert sample("cabinet_obligations", **labels, status="accepted") == 1
    assert sample("cabinet_obligations", **{**labels, "period": "2026-Q3"}, status="open") == 1
    async with sessions.begin() as session:
        accepted = await session.get(Obligation, "demo-vat-return-a-2026-Q4")
        assert accepted is not None
        accepted.status = "accepted"
    await refresh()
    await engine.dispose()
    assert sample("cabinet_obligations", **labels, status="overdue") == 1
    assert sample("cabinet_obligations", **labels, status="accepted") == 2
