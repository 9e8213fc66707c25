"""Issue 12 item 8: help, contact and "forgotten password" pages, open to everyone, with
the department's contact details from settings."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cabinet_devstack.web_accounts import Account, save_accounts
from cabinet_web.accounts import Role
from cabinet_web.app import create_app
from cabinet_web.settings import WebSettings
from tests.unit.test_web_sign_in import sign_in
from tests.unit.web_support import PASSWORD


@pytest.fixture
def web(tmp_path: Path) -> Iterator[TestClient]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    save_accounts(database_url, "dept", [Account("filer-1", Role.FILER, "filer-a")], PASSWORD)
    settings = WebSettings(
        database_url=database_url,
        secret_key=SecretStr("s" * 32),
        intake_url="http://127.0.0.1:9",
        cycles_url="http://127.0.0.1:9",
        support_email="returns@example.org",
        support_phone="0300 123 4567",
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def test_help_and_forgotten_password_pages_give_the_contact_details(web: TestClient) -> None:
    for path, heading in (
        ("/help", "Help and contact"),
        ("/forgotten-password", "If you have forgotten your password"),
    ):
        page = web.get(path)
        assert page.status_code == 200, path
        assert heading in page.text
        assert "mailto:returns@example.org" in page.text
        assert "0300 123 4567" in page.text
    assert "administrator" in web.get("/forgotten-password").text
    sign_in = web.get("/sign-in").text
    assert 'href="/forgotten-password"' in sign_in
    assert 'href="/help"' in sign_in  # in every page's footer


def test_a_signed_in_user_keeps_their_navigation_on_the_pages_for_everyone(
    web: TestClient,
) -> None:
    for path in ("/help", "/forgotten-password", "/accessibility"):
        assert 'href="/sign-out"' not in web.get(path).text, path
    assert sign_in(web, "filer-1").startswith("/")
    for path in ("/help", "/forgotten-password", "/accessibility"):
        page = web.get(path)
        assert page.status_code == 200, path
        assert 'href="/sign-out"' in page.text, path
