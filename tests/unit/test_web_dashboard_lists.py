"""The dashboard's status counts lead to the obligations behind them: each count with
obligations links to its list, the list asks cycles (the operator's department) for that
form type, period and status only, a page at a time, and a status or period it does not
know is Page not found."""

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cabinet_web.pages import operator
from tests.unit.test_web_backend_answers import (  # noqa: F401 (fixtures)
    FakeServices,
    services,
    sign_in,
    web,
)

FILERS = [f"filer-{n:02d}" for n in range(1, 6)]
PERIOD = {
    "form_type_id": "vat-return",
    "form_type_name": "VAT return",
    "form_type_version": 1,
    "period_key": "2026-Q4",
    "start": "2026-10-01",
    "end": "2026-12-31",
    "due": "2027-02-07",
    "opened_at": "2026-10-01T00:00:00Z",
    "closes_at": "2027-03-01T00:00:00Z",
    "closed_at": None,
    "quarter_workflow_id": "quarter-1",
    "quarter_workflow_url": "http://temporal/quarter-1",
}


def obligation(filer_id: str) -> dict[str, Any]:
    return {
        "obligation_id": f"ob-{filer_id}",
        "form_type_id": "vat-return",
        "filer_id": filer_id,
        "period_key": "2026-Q4",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "due_date": "2027-02-07",
        "status": "open",
        "submission_id": None,
        "workflow_url": f"http://temporal/{filer_id}",
    }


@pytest.fixture
def cycles(services: FakeServices) -> list[dict[str, str]]:  # noqa: F811
    """A period with five open obligations; what each list request asked."""
    asked: list[dict[str, str]] = []
    services.json("cycles", "/periods", [PERIOD])
    services.json("cycles", "/filers", [{"filer_id": f, "name": f.title()} for f in FILERS])
    services.json(
        "cycles",
        "/obligations/status-counts",
        {"total": 5, "counts": [{"status": "open", "count": 5}, {"status": "waived", "count": 0}]},
    )

    def listed(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        asked.append(params)
        after = params.get("after_filer_id", "")
        rows = [obligation(f) for f in FILERS if f > after][: int(params["limit"])]
        return httpx.Response(200, json=rows)

    services.route("GET", "cycles", "/obligations", listed)
    return asked


def test_a_count_links_to_its_list_a_page_at_a_time(
    web: TestClient,  # noqa: F811
    cycles: list[dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(operator, "PAGE_SIZE", 2)
    sign_in(web, "ops")
    dashboard = web.get("/dashboard").text
    href = "/dashboard/obligations?form-type=vat-return&amp;period=2026-Q4&amp;status=open"
    assert f'<a class="govuk-link" href="{href}">Not filed</a>' in dashboard
    # A status with none has nothing to link to.
    assert "status=waived" not in dashboard

    first = web.get(href.replace("&amp;", "&"))
    assert first.status_code == 200
    assert re.findall(
        r'<th scope="row" class="govuk-table__header">\s*(Filer-\d+)', first.text
    ) == [
        "Filer-01",
        "Filer-02",
    ]
    assert "5 obligations are in this status" in first.text
    assert cycles[-1] == {
        "form_type_id": "vat-return",
        "period_key": "2026-Q4",
        "status": "open",
        "limit": "3",
    }
    next_page = re.search(r'href="([^"]*after=filer-02)"', first.text)
    assert next_page is not None
    last = web.get(next_page[1].replace("&amp;", "&"))
    assert cycles[-1]["after_filer_id"] == "filer-02"
    assert re.findall(r'<th scope="row" class="govuk-table__header">\s*(Filer-\d+)', last.text) == [
        "Filer-03",
        "Filer-04",
    ]
    assert "First page" in last.text


@pytest.mark.parametrize(
    "query",
    [
        "form-type=vat-return&period=2026-Q4&status=lost",
        "form-type=vat-return&period=2025-Q1&status=open",
        "form-type=other&period=2026-Q4&status=open",
    ],
)
def test_a_status_or_period_not_known_is_not_found(
    web: TestClient,  # noqa: F811
    cycles: list[dict[str, str]],
    query: str,
) -> None:
    sign_in(web, "ops")
    assert web.get(f"/dashboard/obligations?{query}").status_code == 404
    assert cycles == []


def test_a_filer_has_no_such_list(web: TestClient, cycles: list[dict[str, str]]) -> None:  # noqa: F811
    sign_in(web, "filer-1")
    assert (
        web.get(
            "/dashboard/obligations?form-type=vat-return&period=2026-Q4&status=open"
        ).status_code
        == 404
    )
