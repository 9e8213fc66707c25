"""Keep-alive between the services: the web's clients give up an idle connection long
before a service's server closes it, so no request is sent on a connection the server is
closing (a request that crossed the close got no answer, and its page a 503)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cabinet_common.service import (
    CLIENT_KEEP_ALIVE_SECONDS,
    SERVER_KEEP_ALIVE_SECONDS,
    server_config,
)
from cabinet_common.settings import ServiceSettings
from cabinet_web import backend


def test_a_service_keeps_an_idle_connection_open_long_after_its_callers_give_it_up() -> None:
    settings = ServiceSettings(database_url="sqlite+aiosqlite://", port=0, log_json=False)
    config = server_config(FastAPI(), settings)
    assert config.timeout_keep_alive == SERVER_KEEP_ALIVE_SECONDS
    # Far more than any stall of a loaded machine's event loop.
    assert SERVER_KEEP_ALIVE_SECONDS >= CLIENT_KEEP_ALIVE_SECONDS + 60


async def test_the_web_pages_clients_give_up_an_idle_connection_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[dict[str, Any]] = []

    class Recorded(httpx.AsyncClient):
        def __init__(self, **options: Any) -> None:
            made.append(options)
            super().__init__(**options)

    monkeypatch.setattr(httpx, "AsyncClient", Recorded)
    apis = backend.Backend("http://intake", "http://cycles", "http://receipts")
    try:
        assert sorted(str(o["base_url"]) for o in made) == [
            "http://cycles",
            "http://intake",
            "http://receipts",
        ]
        for options in made:
            assert options["limits"].keepalive_expiry == CLIENT_KEEP_ALIVE_SECONDS
    finally:
        await apis.close()
