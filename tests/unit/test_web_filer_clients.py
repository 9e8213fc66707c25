"""Filing software's OAuth2 client credentials: the token endpoint swaps a client id and
secret (HTTP Basic or form fields) for a short-lived token that intake and cycles verify
as that filer only; a wrong secret, an unknown client or another grant is refused."""

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import TokenVerifier
from cabinet_common.database import create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_web.app import create_app
from cabinet_web.filer_clients import register_client
from cabinet_web.migrations import SCHEMA
from cabinet_web.settings import WebSettings

KEY = Ed25519PrivateKey.generate()


async def _register(database_url: str) -> tuple[str, str]:
    engine = create_engine(database_url)
    await migrate_engine(engine, SCHEMA)
    async with session_factory(engine).begin() as session:
        registered = await register_client(session, "dept", "filer-a", "Acme's VAT software")
    await engine.dispose()
    return registered


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    key_file = tmp_path / "web.pem"
    key_file.write_bytes(
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    client_id, secret = asyncio.run(_register(database_url))
    settings = WebSettings(
        database_url=database_url,
        secret_key=SecretStr("s" * 32),
        intake_url="http://127.0.0.1:9",
        cycles_url="http://127.0.0.1:9",
        auth_private_key_file=key_file,
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client, client_id, secret


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_client_credentials_give_a_token_that_acts_as_that_filer_only(
    web: tuple[TestClient, str, str],
) -> None:
    client, client_id, secret = web
    by_basic = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(client_id, secret)
    )
    by_form = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    for response in (by_basic, by_form):
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
        principal = TokenVerifier.trusting(KEY.public_key()).verify(body["access_token"])
        assert principal == Principal(f"client:{client_id}", Role.FILER, "dept", "filer-a")


def test_a_wrong_secret_an_unknown_client_or_another_grant_is_refused(
    web: tuple[TestClient, str, str],
) -> None:
    client, client_id, secret = web
    for headers in (_basic(client_id, secret + "x"), _basic("cabinet-nobody", secret), {}):
        refused = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=headers
        )
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "invalid_client"
        assert refused.headers["www-authenticate"].startswith("Basic")
    password_grant = client.post(
        "/oauth/token", data={"grant_type": "password"}, headers=_basic(client_id, secret)
    )
    assert password_grant.status_code == 400
    assert password_grant.json()["error"] == "unsupported_grant_type"
