"""The receipts service's POST /departments/{d}/readings: a file not filed yet, read in the
bounded pool for a page to pre-fill a line (issue 15, item 3)."""

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from cabinet_common.auth.principal import Role
from cabinet_common.bounded import BoundedPool, Limits
from cabinet_common.problems import install as install_problems
from cabinet_receipts.reading_api import router
from tests import receipt_corpus, receipt_files
from tests.auth_support import bearer, trust_test_tokens

FILER = bearer(Role.FILER, "d", filer_id="f1")
CASEWORKER = bearer(Role.CASEWORKER, "d")


def reading_app(pool: BoundedPool) -> FastAPI:
    app = FastAPI()
    install_problems(app)
    trust_test_tokens(app)
    app.include_router(router)
    app.state.reading_pool = pool
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = reading_app(BoundedPool(workers=2, limits=Limits(timeout_s=60)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        yield client


async def test_a_photo_is_read_for_its_date_total_and_payee(client: httpx.AsyncClient) -> None:
    sample = receipt_corpus.make_receipt("photo", date(2026, 8, 14), seed=5)
    response = await client.post("/departments/d/readings", content=sample.content, headers=FILER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["media_type"] == sample.media_type and body["method"] == "ocr"
    assert body["readable"] and body["problem"] == ""
    assert body["date"] == "2026-08-14"
    assert body["amount_pence"] == sample.total_pence
    assert body["payee"].casefold() == sample.printed_payee.casefold()
    assert [page["number"] for page in body["pages"]] == [1]


async def test_a_multi_page_pdf_is_read_page_by_page(client: httpx.AsyncClient) -> None:
    samples = [
        receipt_corpus.make_receipt("text-pdf", date(2026, 7, day), seed=day) for day in (2, 9, 20)
    ]
    content = receipt_corpus.pages_pdf([s.content for s in samples])
    response = await client.post("/departments/d/readings", content=content, headers=CASEWORKER)
    assert response.status_code == 200, response.text
    pages = response.json()["pages"]
    assert [(p["number"], p["method"]) for p in pages] == [(n, "text layer") for n in (1, 2, 3)]
    assert [(p["date"], p["amount_pence"]) for p in pages] == [
        (s.date.isoformat(), s.total_pence) for s in samples
    ]
    assert [p["payee"].casefold() for p in pages] == [s.printed_payee.casefold() for s in samples]


async def test_a_file_that_cannot_be_read_gets_its_problem_not_an_error(
    client: httpx.AsyncClient,
) -> None:
    # Opens as a PDF by its first bytes, but is cut short: read_receipt says why.
    broken = receipt_files.truncated(receipt_files.pdf("x"))
    body = (await client.post("/departments/d/readings", content=broken, headers=FILER)).json()
    assert body["problem"] and not body["readable"]
    assert body["amount_pence"] is None and body["date"] is None and body["pages"] == []


async def test_a_read_over_the_time_limit_is_answered_with_its_problem() -> None:
    app = reading_app(BoundedPool(workers=1, limits=Limits(timeout_s=0.05)))
    sample = receipt_corpus.make_receipt("photo", date(2026, 8, 14), seed=5)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.post(
            "/departments/d/readings", content=sample.content, headers=FILER
        )
    assert response.status_code == 200
    assert response.json()["problem"] == "it took longer than 0.05 s"
    assert response.json()["readable"] is False


async def test_files_that_are_not_receipts_are_refused_with_a_problem(
    client: httpx.AsyncClient,
) -> None:
    empty = await client.post("/departments/d/readings", content=b"", headers=FILER)
    assert empty.status_code == 415 and empty.json()["code"] == "FILE_EMPTY"
    binary = await client.post("/departments/d/readings", content=b"\x00\x01\x02", headers=FILER)
    assert binary.status_code == 415
    assert binary.json()["code"] == "FILE_TYPE_NOT_ACCEPTED"
    huge = await client.post(
        "/departments/d/readings", content=b"%PDF-" + b"0" * (10 * 1024 * 1024), headers=FILER
    )
    assert huge.status_code == 413 and huge.json()["code"] == "FILE_TOO_LARGE"


async def test_reading_is_for_the_callers_own_department_and_signed_in_callers(
    client: httpx.AsyncClient,
) -> None:
    content = receipt_files.csv_file()
    assert (await client.post("/departments/d/readings", content=content)).status_code == 401
    other = await client.post("/departments/other/readings", content=content, headers=FILER)
    assert other.status_code in (403, 404)
    operator = bearer(Role.OPERATOR, "d")
    refused = await client.post("/departments/d/readings", content=content, headers=operator)
    assert refused.status_code == 403
