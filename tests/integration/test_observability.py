"""What operators see of one filing on the real stack: every process's Prometheus
endpoint moved, and the filing's spans (written by each process to its traces file) are
one trace from the POST to AcknowledgementIssued."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department
from tests.integration.helpers import (
    eventually,
    obligation_in_status,
    receipt_line,
    submit,
    unique_file,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
    response.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


async def file_one(stack: Stack, department: Department, intake: httpx.AsyncClient) -> str:
    obligation_id = department.obligation_id("filer-a")
    response = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(0), 1250), receipt_line(department.latest_day, 899, "Rail")],
        [unique_file("observed first"), unique_file("observed second")],
    )
    assert response.status_code == 202, response.text
    return obligation_id


async def test_every_process_serves_metrics_that_move_with_a_filing(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    urls = stack.config.metrics_urls()
    assert set(urls) == {
        "intake",
        "receipts",
        "cycles",
        "web",
        "worker",
        "worker-temporal-sdk",
        "cycles-temporal-sdk",
    }
    before = {name: await scrape(url) for name, url in urls.items()}
    obligation_id = await file_one(stack, department, intake)
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    async with httpx.AsyncClient(base_url=stack.config.url("web"), timeout=10) as web:
        assert (await web.get("/sign-in")).status_code == 200
    after = {name: await scrape(url) for name, url in urls.items()}

    def moved(process: str, name: str, **labels: str) -> float:
        return value(after[process], name, **labels) - value(before[process], name, **labels)

    mine = {"department": department.id, "form_type": "vat-return"}
    assert moved("intake", "cabinet_submissions_total", **mine, outcome="accepted") == 1
    submissions_route = "/departments/{department_id}/obligations/{obligation_id}/submissions"
    assert (
        moved(
            "intake",
            "cabinet_http_request_duration_seconds_count",
            route=submissions_route,
            status="202",
        )
        >= 1
    )
    assert moved("receipts", "cabinet_receipt_checks_total", **mine, code="OK") == 2
    period = {"department": department.id, "period": department.period.key}
    assert value(after["cycles"], "cabinet_obligations", **period, status="accepted") == 1
    assert value(after["cycles"], "cabinet_obligations", **period, status="open") == 2
    assert (
        moved("web", "cabinet_http_request_duration_seconds_count", route="/sign-in", status="200")
        >= 1
    )
    assert moved("worker", "cabinet_events_published_total", topic="acknowledgement.issued.v1") >= 1
    # The consumers: receipts took the FormSubmitted, cycles the ReceiptsChecked.
    for service, topic in (("receipts", "form.submitted.v1"), ("cycles", "receipts.checked.v1")):
        group = {"group": f"cabinet-{service}", "topic": topic}
        assert moved(service, "cabinet_consumer_records_processed_total", **group) >= 1
        assert moved(service, "cabinet_consumer_record_duration_seconds_count", **group) >= 1
        assert ("cabinet_consumer_waiting_partitions", frozenset({("group", group["group"])})) in (
            after[service]
        )
    for service in ("intake", "receipts", "cycles"):
        assert value(after[service], "cabinet_outbox_rows_waiting") >= 0
        assert ("cabinet_outbox_oldest_row_age_seconds", frozenset()) in after[service]
    # The Temporal SDK's own metrics, from its runtime: the worker ran workflow tasks and
    # an activity (the acknowledgement's publication); cycles signalled with start.
    assert (
        moved("worker-temporal-sdk", "temporal_workflow_task_execution_latency_seconds_count") >= 1
    )
    assert moved("worker-temporal-sdk", "temporal_activity_execution_latency_seconds_count") >= 1
    assert moved("cycles-temporal-sdk", "temporal_request_total") >= 1


def spans_of(traces_dir: Path) -> list[dict[str, Any]]:
    """Every span the stack's processes have exported so far (one JSON line each)."""
    return [
        json.loads(line)
        for path in sorted(traces_dir.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def described(span: dict[str, Any]) -> str:
    return f"{span['resource']['attributes']['service.name']}: {span['name']}"


async def test_one_filing_is_one_trace_from_the_post_to_its_acknowledgement(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    traces_dir = stack.config.traces_dir
    if traces_dir is None:
        pytest.skip("this stack exports no spans (set CABINET_TRACES_DIR before `make up`)")
    obligation_id = await file_one(stack, department, intake)
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")

    def post_span() -> dict[str, Any] | None:
        return next(
            (
                span
                for span in spans_of(traces_dir)
                if span["name"].startswith("POST /departments/{department_id}/obligations/")
                and obligation_id in json.dumps(span["attributes"])
            ),
            None,
        )

    post = await eventually(_async(post_span), what="the POST's span")
    trace_id = post["context"]["trace_id"]
    expected = [
        "cabinet-intake: POST /departments/{department_id}/obligations/{obligation_id}/submissions",
        "cabinet-receipts: process form.submitted.v1",
        "cabinet-cycles: process receipts.checked.v1",
        "cabinet-cycles: SignalWithStartWorkflow:ObligationWorkflow",
        "cabinet-worker: publish acknowledgement.issued.v1",
        "cabinet-cycles: process acknowledgement.issued.v1",
    ]

    def whole_trace() -> list[str] | None:
        names = [described(s) for s in spans_of(traces_dir) if s["context"]["trace_id"] == trace_id]
        return names if all(name in names for name in expected) else None

    names = await eventually(_async(whole_trace), what=f"every span of trace {trace_id}")
    # The receipts check ran for this filing only: one FormSubmitted, one trace.
    assert names.count("cabinet-receipts: process form.submitted.v1") == 1


def _async(probe: Any) -> Any:
    async def run() -> Any:
        return probe()

    return run
