"""OAuth2 client credentials (RFC 6749 section 4.4) for a filer organisation's filing
software: `POST /oauth/token` swaps a client id and secret for a short-lived token that
acts as that filer only, at intake and cycles.

The token endpoint is here because the web service is Cabinet's one issuer of tokens for
people and organisations: it already holds their accounts and the private key intake and
cycles trust for users, so filing software is one more kind of account, and the APIs stay
verifiers that hold no secrets."""

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import TokenMinter
from cabinet_common.service import DbSession
from cabinet_web.tables import FilerClient

TOKEN_SECONDS = 900
router = APIRouter()


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def register_client(
    session: AsyncSession, department_id: str, filer_id: str, name: str
) -> tuple[str, str]:
    """A new client id and secret for the filer's software; the secret is shown once."""
    client_id = f"cabinet-{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    session.add(
        FilerClient(
            client_id=client_id,
            secret_sha256=_sha256(secret),
            name=name,
            department_id=department_id,
            filer_id=filer_id,
            created_at=datetime.now(UTC),
        )
    )
    return client_id, secret


def _basic(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _error(status_code: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status_code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="cabinet"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code, headers=headers
    )


@router.post("/oauth/token", include_in_schema=False)
async def token(
    request: Request,
    session: DbSession,
    grant_type: Annotated[str, Form()] = "",
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if grant_type != "client_credentials":
        return _error(400, "unsupported_grant_type", "Only client_credentials is supported")
    credentials = _basic(authorization) or (client_id or "", client_secret or "")
    async with session.begin():
        client = await session.get(FilerClient, credentials[0]) if credentials[0] else None
    # Compared in constant time, and a hash compared even for an unknown id.
    stored = client.secret_sha256 if client is not None else _sha256("no such client")
    if not hmac.compare_digest(stored, _sha256(credentials[1])) or client is None:
        return _error(401, "invalid_client", "Unknown client or wrong secret")
    minter: TokenMinter | None = request.app.state.backend.minter
    if minter is None:
        return _error(503, "temporarily_unavailable", "No token key is configured")
    principal = Principal(
        f"client:{client.client_id}", Role.FILER, client.department_id, client.filer_id
    )
    return JSONResponse(
        {
            "access_token": minter.mint(principal, TOKEN_SECONDS),
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": f"filer:{client.department_id}/{client.filer_id}",
        },
        headers={"Cache-Control": "no-store"},
    )
