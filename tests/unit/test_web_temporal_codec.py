"""The web service's codec endpoint for the Temporal Web UI: operators decode and encode;
filers, caseworkers and anonymous callers are refused; CORS admits the UI's origin only."""

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payloads
from temporalio.contrib.pydantic import pydantic_data_converter

from cabinet_common.temporal_codec import ENCODING, generate_payload_key
from cabinet_devstack.web_accounts import Account, save_accounts
from cabinet_web.accounts import Role
from cabinet_web.app import create_app
from cabinet_web.settings import WebSettings
from tests.unit.test_web_sign_in import sign_in
from tests.unit.web_support import PASSWORD

UI = "http://127.0.0.1:8233"
EMAIL = "returns@acme.example"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[TestClient]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    save_accounts(
        database_url,
        "dept",
        [
            Account("filer-1", Role.FILER, "filer-a"),
            Account("clerk", Role.CASEWORKER),
            Account("watcher", Role.OPERATOR),
        ],
        PASSWORD,
    )
    (tmp_path / "payload-key").write_text(generate_payload_key())
    settings = WebSettings(
        database_url=database_url,
        secret_key=SecretStr("s" * 32),
        intake_url="http://127.0.0.1:9",
        cycles_url="http://127.0.0.1:9",
        temporal_payload_key_file=tmp_path / "payload-key",
        temporal_ui_origin=UI,
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def payloads_json() -> str:
    payloads = pydantic_data_converter.payload_converter.to_payloads([{"email": EMAIL}])
    return json_format.MessageToJson(Payloads(payloads=payloads))


def post(web: TestClient, action: str, body: str) -> tuple[int, dict[str, Any]]:
    response = web.post(
        f"/temporal-codec/{action}",
        content=body,
        headers={"content-type": "application/json", "origin": UI, "x-namespace": "default"},
    )
    return response.status_code, response.json()


def test_an_operator_encodes_and_decodes_a_round_trip(web: TestClient) -> None:
    sign_in(web, "watcher")
    status, encoded = post(web, "encode", payloads_json())
    assert status == 200
    assert EMAIL not in json.dumps(encoded)
    [payload] = encoded["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING
    status, decoded = post(web, "decode", json.dumps(encoded))
    assert status == 200
    assert decoded == json.loads(payloads_json())


def test_the_namespace_may_be_in_the_path(web: TestClient) -> None:
    sign_in(web, "watcher")
    response = web.post(
        "/temporal-codec/default/decode",
        content=payloads_json(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == json.loads(payloads_json())  # unencrypted: passed through


@pytest.mark.parametrize(("user", "status"), [(None, 401), ("filer-1", 403), ("clerk", 403)])
def test_anyone_but_an_operator_is_refused(web: TestClient, user: str | None, status: int) -> None:
    if user is not None:
        sign_in(web, user)
    for action in ("decode", "encode"):
        answer_status, problem = post(web, action, payloads_json())
        assert answer_status == status
        assert problem["status"] == status
        assert EMAIL not in json.dumps(problem)


def test_cors_admits_the_temporal_ui_with_credentials_and_nobody_else(web: TestClient) -> None:
    asked = {"origin": UI, "access-control-request-method": "POST"}
    preflight = web.options("/temporal-codec/decode", headers=asked)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == UI
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in preflight.headers["access-control-allow-headers"]
    elsewhere = web.options(
        "/temporal-codec/decode", headers={**asked, "origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in elsewhere.headers


def test_a_body_that_is_not_payloads_is_a_problem(web: TestClient) -> None:
    sign_in(web, "watcher")
    status, problem = post(web, "decode", "{not json")
    assert (status, problem["code"]) == (400, "INVALID_PAYLOADS")
