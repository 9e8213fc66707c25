"""The web service in process over a fake intake and cycles (an httpx MockTransport):
every page answers 503 while intake or cycles cannot answer, a refusal no page handles
is an error page with its words, a double-clicked caseworker decision lands where the
first one did, and the paper list counts what it does not show."""

import functools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cabinet_devstack.web_accounts import Account, save_accounts
from cabinet_web import app as web_app
from cabinet_web import filer_register
from cabinet_web.accounts import Role
from cabinet_web.backend import Backend
from cabinet_web.journey import definitions
from cabinet_web.pages import decisions, paper
from cabinet_web.settings import WebSettings
from tests.unit.form_type_examples import example_document
from tests.unit.web_support import PASSWORD, csrf_token

DEPARTMENT = "dept"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeServices:
    """Intake (http://intake) and cycles (http://cycles): each route a function of the
    request; any other route is a 404, and `down` makes every request fail to connect."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str, str], Handler] = {}
        self.down = False
        self.requests: list[tuple[str, str, str]] = []

    def route(self, method: str, service: str, path: str, handler: Handler) -> None:
        self.routes[(method, service, f"/departments/{DEPARTMENT}{path}")] = handler

    def json(self, service: str, path: str, body: Any, status_code: int = 200) -> None:
        self.route("GET", service, path, lambda _: httpx.Response(status_code, json=body))

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        key = (request.method, request.url.host, request.url.path)
        self.requests.append(key)
        handler = self.routes.get(key)
        if handler is None:
            return httpx.Response(404, json={"detail": "Not found"})
        return handler(request)


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def web(
    tmp_path: Path, services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    save_accounts(
        database_url,
        DEPARTMENT,
        [
            Account("filer-1", Role.FILER, "filer-a"),
            Account("clerk", Role.CASEWORKER),
            Account("ops", Role.OPERATOR),
        ],
        PASSWORD,
    )
    settings = WebSettings(
        database_url=database_url,
        secret_key=SecretStr("s" * 32),
        intake_url="http://intake",
        cycles_url="http://cycles",
    )
    transport = httpx.MockTransport(services.handle)
    monkeypatch.setattr(web_app, "Backend", functools.partial(Backend, transport=transport))
    # Each test its own fake: nothing kept from another.
    monkeypatch.setattr(definitions, "_versions", {})
    monkeypatch.setattr(definitions, "_definitions", {})
    filer_register.forget()
    with TestClient(web_app.create_app(settings), base_url="https://testserver") as client:
        yield client


def sign_in(web: TestClient, user_id: str) -> None:
    token = csrf_token(web.get("/sign-in").text)
    response = web.post(
        "/sign-in",
        data={"user-id": user_id, "password": PASSWORD, "csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


# Intake or cycles cannot answer: a 503 page, on every kind of page.

CASEWORKER_PAGES = (
    "/queue",
    "/queue/ob-1",
    "/queue/ob-1/accept",
    "/queue/ob-1/receipts/r-1/file",
    "/paper",
    "/paper/ob-1",
)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert '<h1 class="govuk-heading-l">Sorry, the service is unavailable</h1>' in response.text
    assert "Try again in a few minutes." in response.text


@pytest.mark.parametrize("path", CASEWORKER_PAGES)
def test_a_caseworker_page_is_a_503_while_the_services_are_down(
    web: TestClient, services: FakeServices, path: str
) -> None:
    sign_in(web, "clerk")
    services.down = True
    assert_unavailable(web.get(path))


def test_a_5xx_from_cycles_is_a_503_page(web: TestClient, services: FakeServices) -> None:
    sign_in(web, "ops")
    services.json("cycles", "/periods", {"detail": "database restarting"}, status_code=500)
    assert_unavailable(web.get("/dashboard"))


def test_the_filers_pages_are_a_503_too(web: TestClient, services: FakeServices) -> None:
    sign_in(web, "filer-1")
    services.down = True
    assert_unavailable(web.get("/returns"))
    assert_unavailable(web.get("/returns/ob-1"))


def test_a_refusal_no_page_handles_is_an_error_page_with_its_words(
    web: TestClient, services: FakeServices
) -> None:
    sign_in(web, "clerk")
    services.json("cycles", "/queue", {"detail": "Unknown form type filter"}, status_code=422)
    response = web.get("/queue")
    assert response.status_code == 422
    assert "Sorry, there is a problem" in response.text
    assert "Unknown form type filter" in response.text


# A decision made twice (a double click): the second lands where the first did.

VAT = example_document("vat-return")
RECEIPT = {
    "receipt_id": "r-1",
    "media_type": "application/pdf",
    "size_bytes": 501,
    "file_name": "r1.pdf",
    "date": "2026-11-03",
    "amount_pence": 1250,
    "currency": "GBP",
    "payee": "Stationers Ltd",
    "category": "stationery",
    "returned": False,
    "return_reasons": [],
}
VERSION = {
    "version": 1,
    "submission_sha256": "0" * 64,
    "answers": {"box1": "1000.00", "declaration": "yes"},
    "declared_total_pence": 1250,
    "receipts": [RECEIPT],
    "returned": False,
    "return_reasons": [],
    "channel": "online",
    "keyed_by": None,
    "submitted_at": "2026-11-28T22:05:41Z",
    "returned_at": None,
}


class Obligation:
    """Cycles' obligation, as each read finds it: `before` for the first read (the page
    loading its case), then `after` (a decision made meanwhile shows)."""

    def __init__(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.base = {
            "obligation_id": "ob-1",
            "department_id": DEPARTMENT,
            "form_type_id": "vat-return",
            "filer_id": "filer-a",
            "period_key": "2026-Q4",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "due_date": "2027-02-07",
            "status": "checking",
            "submission_id": "s-1",
            "workflow_id": "obligation:ob-1",
            "workflow_url": "http://temporal/ob-1",
            "acknowledgement_url": None,
            "history": [
                {
                    "at": "2026-11-28T22:05:41Z",
                    "status": "checking",
                    "actor": "system",
                    "detail": "Version 1 held for a caseworker",
                }
            ],
        }
        self.before, self.after = before, after
        self.reads = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.reads += 1
        return httpx.Response(
            200, json={**self.base, **(self.before if self.reads == 1 else self.after)}
        )


def a_held_return(services: FakeServices, obligation: Obligation) -> list[str]:
    """The routes a caseworker's obligation page reads; returns the decisions POSTed."""
    services.route("GET", "cycles", "/obligations/ob-1", obligation)
    services.json("cycles", "/form-types/vat-return/periods/2026-Q4", {"form_type_version": 1})
    services.json("cycles", "/form-types/vat-return/versions/1", {"definition": VAT})
    services.json("intake", "/obligations/ob-1", {"obligation_id": "ob-1", "submission_id": "s-1"})
    services.json(
        "intake",
        "/submissions/s-1",
        {"submission_id": "s-1", "current_version": 1, "versions": [VERSION]},
    )
    posted: list[str] = []
    for decision in ("accept", "waive", "return", "extend"):

        def refuse(request: httpx.Request, decision: str = decision) -> httpx.Response:
            posted.append(decision)
            return httpx.Response(409, json={"detail": "The workflow refused: already decided"})

        services.route("POST", "cycles", f"/obligations/ob-1/{decision}", refuse)
    return posted


def decide(
    web: TestClient, obligation: Obligation, decision: str, form: dict[str, str]
) -> httpx.Response:
    """Open the obligation's page, then decide (the decision's own first read of the
    obligation finds it as `before`)."""
    token = csrf_token(web.get(f"/queue/ob-1/{decision}").text)
    obligation.reads = 0
    response: httpx.Response = web.post(
        f"/queue/ob-1/{decision}", data={**form, "csrftoken": token}, follow_redirects=False
    )
    return response


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decisions, "MADE_ALREADY_READS", 3)


LATER = date(2027, 3, 1)
DECISIONS = [
    ("accept", {"reason": "Checked"}, {"status": "accepted"}, "accepted"),
    ("waive", {"reason": "Closed down"}, {"status": "waived"}, "waived"),
    (
        "return",
        {
            "version": "1",
            "receipt-1-decision": "return",
            "receipt-1-reason": "POSSIBLE_DUPLICATE",
            "receipt-1-note": "Another filer claimed it",
        },
        {"status": "returned"},
        "returned",
    ),
    (
        "extend",
        {
            "due-date-day": str(LATER.day),
            "due-date-month": str(LATER.month),
            "due-date-year": str(LATER.year),
            "reason": "Flooded office",
        },
        {"due_date": LATER.isoformat()},
        "extended",
    ),
]


@pytest.mark.usefixtures("quick")
@pytest.mark.parametrize(("decision", "form", "after", "done"), DECISIONS)
def test_a_decision_refused_because_it_was_just_made_is_a_success(
    web: TestClient,
    services: FakeServices,
    decision: str,
    form: dict[str, str],
    after: dict[str, Any],
    done: str,
) -> None:
    sign_in(web, "clerk")
    obligation = Obligation(before={}, after=after)
    posted = a_held_return(services, obligation)
    # The page loads its case (the first read), then the first click's decision shows.
    response = decide(web, obligation, decision, form)
    assert posted == [decision]
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/queue/ob-1?done={done}"


@pytest.mark.usefixtures("quick")
@pytest.mark.parametrize(("decision", "form", "after", "done"), DECISIONS)
def test_a_decision_refused_for_another_reason_is_a_form_error(
    web: TestClient,
    services: FakeServices,
    decision: str,
    form: dict[str, str],
    after: dict[str, Any],
    done: str,
) -> None:
    sign_in(web, "clerk")
    obligation = Obligation(before={}, after={})
    a_held_return(services, obligation)
    response = decide(web, obligation, decision, form)
    assert response.status_code == 400
    assert "The workflow refused: already decided" in response.text


def test_an_extension_to_the_date_already_due_is_a_success(
    web: TestClient, services: FakeServices
) -> None:
    """The second click of an extension arrives after the first moved the due date."""
    sign_in(web, "clerk")
    obligation = Obligation(before={"due_date": LATER.isoformat()}, after={})
    posted = a_held_return(services, obligation)
    token = csrf_token(web.get("/queue/ob-1/extend").text)
    obligation.reads = 0
    form = {
        "due-date-day": str(LATER.day),
        "due-date-month": str(LATER.month),
        "due-date-year": str(LATER.year),
        "reason": "Flooded office",
    }
    response = web.post(
        "/queue/ob-1/extend", data={**form, "csrftoken": token}, follow_redirects=False
    )
    assert posted == []
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/queue/ob-1?done=extended",
    )


@pytest.mark.usefixtures("quick")
def test_a_return_of_another_version_is_not_taken_for_this_one(
    web: TestClient, services: FakeServices
) -> None:
    sign_in(web, "clerk")
    _, form, after, _ = DECISIONS[2]
    obligation = Obligation(before={}, after=after)
    a_held_return(services, obligation)
    sent = [VERSION]

    def submission(request: httpx.Request) -> httpx.Response:
        body = {"submission_id": "s-1", "current_version": len(sent), "versions": sent}
        return httpx.Response(200, json=body)

    def refuse(request: httpx.Request) -> httpx.Response:
        # Version 1 was returned, and the filer has sent version 2 (returned too) since.
        sent.append({**VERSION, "version": 2})
        return httpx.Response(409, json={"detail": "The workflow refused: already decided"})

    services.route("GET", "intake", "/submissions/s-1", submission)
    services.route("POST", "cycles", "/obligations/ob-1/return", refuse)
    response = decide(web, obligation, "return", form)
    assert response.status_code == 400
    assert "The workflow refused: already decided" in response.text


# The paper list: every unsettled obligation, however many settled ones come first.


def test_the_paper_list_asks_for_the_unsettled_and_counts_what_it_does_not_show(
    web: TestClient, services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paper, "MAX_ROWS", 2)
    sign_in(web, "clerk")
    services.json(
        "cycles",
        "/filers",
        [{"filer_id": f, "name": f.title()} for f in ("filer-a", "filer-b", "filer-z")],
    )
    services.json("cycles", "/form-types/vat-return/periods/2026-Q4", {"form_type_version": 1})
    services.json("cycles", "/form-types/vat-return/versions/1", {"definition": VAT})

    def obligation(filer_id: str, status: str) -> dict[str, Any]:
        return {
            "obligation_id": f"ob-{filer_id}",
            "form_type_id": "vat-return",
            "filer_id": filer_id,
            "period_key": "2026-Q4",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "due_date": "2027-02-07",
            "status": status,
            "submission_id": None,
        }

    unsettled = {"open": ["filer-z"], "overdue": ["filer-b", "filer-a", "filer-c"]}

    def listed(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        status = params["status"]  # never the whole list, settled ones and all
        filers = sorted(unsettled.get(status, []))
        if params.get("filer_id"):
            filers = [f for f in filers if f == params["filer_id"]]
        limit = int(params["limit"])
        return httpx.Response(200, json=[obligation(f, status) for f in filers][:limit])

    services.route("GET", "cycles", "/obligations", listed)
    services.json(
        "cycles",
        "/obligations/status-counts",
        {
            "total": 9,
            "counts": [
                {"status": "open", "count": 1},
                {"status": "overdue", "count": 3},
                {"status": "accepted", "count": 5},
            ],
        },
    )
    page = web.get("/paper")
    assert page.status_code == 200, page.text
    assert "Only the first 2 of 4 returns not yet accepted are shown" in page.text
    assert page.text.count("Key in a paper return") == 2

    one = web.get("/paper", params={"filer_id": "filer-z"})
    assert one.text.count("Key in a paper return") == 1  # filer-z's: last in filer order
    assert "Only the first" not in one.text
