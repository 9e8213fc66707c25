"""Request bodies are limited while they are read (cabinet_common.body_limit): over the
limit by Content-Length or by counting a chunked body, the answer is a 413 problem
document, and the app never gets more than the limit."""

from collections.abc import Iterator
from pathlib import Path
from typing import cast

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cabinet_common import problems
from cabinet_common.body_limit import BodyLimit
from cabinet_cycles.app import create_app as create_cycles
from cabinet_cycles.settings import CyclesSettings
from cabinet_intake.app import create_app as create_intake
from cabinet_intake.settings import IntakeSettings
from cabinet_receipts.app import create_app as create_receipts
from cabinet_receipts.settings import ReceiptsSettings
from cabinet_web.app import create_app as create_web
from cabinet_web.settings import WebSettings

LIMIT = 1000


def limited_app(seen: list[int]) -> FastAPI:
    app = FastAPI()
    problems.install(app)
    app.add_middleware(BodyLimit, max_bytes=LIMIT)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body)}

    @app.post("/json")
    async def json_body(payload: dict[str, str]) -> dict[str, int]:
        return {"keys": len(payload)}

    return app


def chunks(total: int, size: int = 100) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


def assert_too_large(answer: object) -> None:
    assert answer.status_code == 413  # type: ignore[attr-defined]
    assert answer.headers["content-type"] == problems.MEDIA_TYPE  # type: ignore[attr-defined]
    document = answer.json()  # type: ignore[attr-defined]
    assert document["code"] == "BODY_TOO_LARGE"
    assert document["detail"] == "A request body may be at most 1,000 bytes"


def test_a_body_within_the_limit_is_read_whole() -> None:
    seen: list[int] = []
    answer = TestClient(limited_app(seen)).post("/echo", content=b"x" * LIMIT)
    assert answer.status_code == 200
    assert seen == [LIMIT]


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    seen: list[int] = []
    answer = TestClient(limited_app(seen)).post("/echo", content=b"x" * (LIMIT + 1))
    assert_too_large(answer)
    assert seen == []


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit() -> None:
    seen: list[int] = []
    client = TestClient(limited_app(seen))
    # A generator: sent chunked, without Content-Length.
    answer = client.post("/echo", content=chunks(100 * LIMIT))
    assert "content-length" not in answer.request.headers
    assert_too_large(answer)
    assert seen == []
    # Parsed bodies too (FastAPI's JSON parsing would have made any other error a 400).
    assert_too_large(client.post("/json", content=chunks(10 * LIMIT)))


def test_the_limit_counts_what_is_read_not_what_is_sent() -> None:
    """The app's receive is never asked for more than the chunk that passes the limit."""
    pulled = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 400, "more_body": True}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def app(scope: object, receive: object, send: object) -> None:
        while True:
            await receive()  # type: ignore[operator]

    import asyncio

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimit(app, LIMIT)(scope, receive, send))  # type: ignore[arg-type]
    assert pulled == 3  # 400, 800, 1200: cut off at the third
    assert sent[0]["status"] == 413


def test_every_service_limits_bodies_by_its_setting(tmp_path: Path) -> None:
    def limits(app: object) -> list[int]:
        found = []
        node = app
        # Web wraps its app in plain ASGI middleware; the others are FastAPI apps.
        while node is not None:
            if isinstance(node, BodyLimit):
                found.append(node.max_bytes)
            node = getattr(node, "app", None)
        if isinstance(app, FastAPI):
            found += [
                cast(int, m.kwargs["max_bytes"])
                for m in app.user_middleware
                if m.cls is BodyLimit  # type: ignore[comparison-overlap]
            ]
        return found

    db = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    intake = IntakeSettings(database_url=db, max_request_bytes=123)
    assert limits(create_intake(intake)) == [123]
    assert IntakeSettings(database_url=db).max_request_bytes > intake.max_submission_bytes
    assert limits(create_cycles(CyclesSettings(database_url=db, max_request_bytes=456))) == [456]
    receipts = ReceiptsSettings(database_url=db, max_request_bytes=789)
    assert limits(create_receipts(receipts)) == [789]
    web = WebSettings(database_url=db, secret_key=SecretStr("s" * 32), max_request_bytes=321)
    assert limits(create_web(web)) == [321]
