"""Every route of every service's OpenAPI, walked: without a token it is 401; with a token
of another department it is 404, as if nothing were there; a filer gets 403 on every
route that is not a filer's; and a token no trusted key signed, an expired one or one
for another audience is 401 too. Health and docs stay open. Each of those answers is
documented in the route's OpenAPI, as a problem document (a status a route really gives
that its spec does not list fails here)."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import TokenMinter
from cabinet_cycles.app import create_app as cycles_app
from cabinet_cycles.settings import CyclesSettings
from cabinet_intake.app import create_app as intake_app
from cabinet_intake.settings import IntakeSettings
from cabinet_receipts.app import create_app as receipts_app
from cabinet_receipts.settings import ReceiptsSettings
from tests.auth_support import MINTER, bearer, trust_test_tokens

DEPARTMENT = "dept"
OPEN = {"/healthz", "/readyz", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}
# What a filer (or its filing software) may call; every other route is staff's.
FILER_ROUTES = {
    ("intake", "POST", "/departments/{department_id}/obligations/{obligation_id}/submissions"),
    ("intake", "GET", "/departments/{department_id}/obligations/{obligation_id}"),
    ("intake", "GET", "/departments/{department_id}/submissions/{submission_id}"),
    ("intake", "GET", "/departments/{department_id}/submissions/{submission_id}/diff"),
    (
        "intake",
        "GET",
        "/departments/{department_id}/submissions/{submission_id}/receipts/{receipt_id}/file",
    ),
    # Reading a receipt file to pre-fill its line on "Add receipts" (issue 15).
    ("receipts", "POST", "/departments/{department_id}/readings"),
    ("cycles", "GET", "/departments/{department_id}/obligations"),
    ("cycles", "GET", "/departments/{department_id}/obligations/{obligation_id}"),
    ("cycles", "GET", "/departments/{department_id}/obligations/{obligation_id}/acknowledgement"),
    (
        "cycles",
        "GET",
        "/departments/{department_id}/obligations/{obligation_id}/acknowledgement.html",
    ),
    (
        "cycles",
        "GET",
        "/departments/{department_id}/obligations/{obligation_id}/acknowledgement.pdf",
    ),
    ("cycles", "GET", "/departments/{department_id}/filers/{filer_id}"),
    ("cycles", "GET", "/departments/{department_id}/form-types/{form_type_id}"),
    ("cycles", "GET", "/departments/{department_id}/form-types/{form_type_id}/versions/{version}"),
    (
        "cycles",
        "GET",
        "/departments/{department_id}/form-types/{form_type_id}/periods/{period_key}",
    ),
    ("cycles", "POST", "/acknowledgements/verify"),
    ("cycles", "GET", "/signing-key"),
    ("cycles", "GET", "/signing-keys"),
}


def _apps(tmp: Path) -> dict[str, FastAPI]:
    database = f"sqlite+aiosqlite:///{tmp / 'unused.db'}"
    return {
        "intake": intake_app(IntakeSettings(database_url=database, evidence_dir=tmp)),
        "receipts": receipts_app(ReceiptsSettings(database_url=database)),
        "cycles": cycles_app(CyclesSettings(database_url=database)),
    }


Route = tuple[str, str, str]


def _routes(apps: dict[str, FastAPI]) -> Iterator[Route]:
    for service, app in apps.items():
        for path, operations in app.openapi()["paths"].items():
            if path not in OPEN:
                for method in operations:
                    yield service, method.upper(), path


def assert_documented(app: FastAPI, method: str, path: str, response: httpx.Response) -> None:
    """The answer given is one the route's OpenAPI lists, as a problem document."""
    operation = app.openapi()["paths"][path][method.lower()]
    answer = operation["responses"].get(str(response.status_code))
    assert answer is not None, (method, path, response.status_code, "not documented")
    assert response.headers["content-type"] == "application/problem+json"
    assert set(answer["content"]) == {"application/problem+json"}, (method, path)


def _url(path: str) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: DEPARTMENT if m[1] == "department_id" else "x1", path)


@pytest.fixture
def apps(tmp_path: Path) -> dict[str, FastAPI]:
    built = _apps(tmp_path)
    for app in built.values():
        trust_test_tokens(app)
    return built


async def _call(app: FastAPI, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    # No lifespan runs: a request that got past authorisation fails on the missing
    # database (500), which is what tells the two apart.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        return await client.request(method, _url(path), headers=headers)


def test_the_walk_covers_every_service_and_the_filer_routes_exist(
    apps: dict[str, FastAPI],
) -> None:
    routes = set(_routes(apps))
    assert {service for service, _, _ in routes} == {"intake", "receipts", "cycles"}
    assert len(routes) >= 38
    assert routes >= FILER_ROUTES


async def test_no_token_or_a_bad_one_is_401_on_every_route(apps: dict[str, FastAPI]) -> None:
    stranger = TokenMinter(Ed25519PrivateKey.generate(), "stranger")
    admin = Principal("someone", Role.ADMIN, DEPARTMENT)
    expired = jwt.encode(
        {"sub": "x", "aud": "cabinet", "iss": "t", "iat": 0, "exp": 60, "role": "service"},
        MINTER._private_key,
        "EdDSA",
        headers={"kid": MINTER.key_id},
    )
    refused = {
        "none": {},
        "untrusted key": {"Authorization": f"Bearer {stranger.mint(admin)}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    }
    for service, method, path in _routes(apps):
        for what, headers in refused.items():
            response = await _call(apps[service], method, path, headers)
            assert response.status_code == 401, (service, method, path, what, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert_documented(apps[service], method, path, response)
        documented = apps[service].openapi()["paths"][path][method.lower()]["responses"]
        assert "WWW-Authenticate" in documented["401"]["headers"], (service, method, path)


async def test_another_departments_caller_finds_nothing(apps: dict[str, FastAPI]) -> None:
    walked = 0
    for service, method, path in _routes(apps):
        if "{department_id}" not in path:
            continue
        for role in (Role.ADMIN, Role.CASEWORKER, Role.OPERATOR):
            response = await _call(apps[service], method, path, bearer(role, "elsewhere"))
            assert response.status_code == 404, (service, method, path, role, response.text)
            assert_documented(apps[service], method, path, response)
        response = await _call(
            apps[service], method, path, bearer(Role.FILER, "elsewhere", "filer-a")
        )
        assert response.status_code == 404, (service, method, path, response.text)
        walked += 1
    assert walked >= 36


async def test_a_filer_is_forbidden_every_route_but_its_own(apps: dict[str, FastAPI]) -> None:
    filer = bearer(Role.FILER, DEPARTMENT, "filer-a")
    for service, method, path in _routes(apps):
        response = await _call(apps[service], method, path, filer)
        if (service, method, path) in FILER_ROUTES:
            assert response.status_code != 403, (service, method, path, response.text)
        else:
            assert response.status_code == 403, (service, method, path, response.text)
            assert_documented(apps[service], method, path, response)


async def test_staff_get_past_authorisation_on_their_routes(apps: dict[str, FastAPI]) -> None:
    """An admin of the department, and a machine identity, are refused nothing (the 500 is
    the missing database of this in-process app: the request got through)."""
    for caller in (bearer(Role.ADMIN, DEPARTMENT), bearer()):
        for service, method, path in _routes(apps):
            response = await _call(apps[service], method, path, caller)
            assert response.status_code not in (401, 403), (service, method, path)
            if "{department_id}" in path:
                assert response.status_code != 404 or "department" not in response.text


def test_every_route_declares_the_bearer_scheme(apps: dict[str, FastAPI]) -> None:
    for service, app in apps.items():
        for path, operations in app.openapi()["paths"].items():
            if path in OPEN:
                continue
            for method, operation in operations.items():
                assert {"CabinetToken": []} in operation.get("security", []), (
                    service,
                    method,
                    path,
                )
