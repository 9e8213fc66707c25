"""The web service in process, without intake or cycles: signing in and out, the session
and CSRF cookies, the security headers on every response, and roles kept to their pages."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cabinet_devstack.web_accounts import Account, save_accounts
from cabinet_web.accounts import MAX_FAILED_SIGN_INS, Role
from cabinet_web.app import create_app
from cabinet_web.security_headers import GOVUK_TEMPLATE_SCRIPT, script_hash
from cabinet_web.settings import WebSettings
from tests.unit.web_support import PASSWORD, csrf_token


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
    settings = WebSettings(
        database_url=database_url,
        secret_key=SecretStr("s" * 32),
        # Unreachable: these tests never need intake or cycles.
        intake_url="http://127.0.0.1:9",
        cycles_url="http://127.0.0.1:9",
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def sign_in(web: TestClient, user_id: str, password: str = PASSWORD) -> str:
    token = csrf_token(web.get("/sign-in").text)
    response = web.post(
        "/sign-in",
        data={"user-id": user_id, "password": password, "csrftoken": token},
        follow_redirects=False,
    )
    return str(response.headers.get("location", response.status_code))


def test_every_response_has_the_security_headers(web: TestClient) -> None:
    for path in ("/sign-in", "/no-such-page", "/assets/govuk-frontend.min.css", "/healthz"):
        headers = web.get(path).headers
        policy = headers["content-security-policy"]
        assert policy.startswith("default-src 'self';"), path
        assert "unsafe-inline" not in policy
        assert f"'{script_hash(GOVUK_TEMPLATE_SCRIPT)}'" in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_the_allowed_inline_script_is_the_one_the_template_has(web: TestClient) -> None:
    page = web.get("/sign-in").text
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, flags=re.S)
    assert inline == [GOVUK_TEMPLATE_SCRIPT]


def test_sign_in_sets_a_secure_http_only_session_cookie(web: TestClient) -> None:
    assert sign_in(web, "FILER-1 ") == "/returns"
    [cookie] = [c for c in web.cookies.jar if c.name == "cabinet_session"]
    assert cookie.secure
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "lax"


def test_a_wrong_password_is_a_form_error_and_no_session(web: TestClient) -> None:
    token = csrf_token(web.get("/sign-in").text)
    response = web.post(
        "/sign-in", data={"user-id": "filer-1", "password": "wrong password!", "csrftoken": token}
    )
    assert response.status_code == 400
    assert "<title>Error: Sign in – Cabinet</title>" in response.text
    assert response.text.count("Enter a correct user ID and password") == 2  # summary + inline
    assert 'value="filer-1"' in response.text
    assert "cabinet_session" not in web.cookies


def test_a_post_without_the_csrf_token_is_refused(web: TestClient) -> None:
    web.get("/sign-in")
    response = web.post("/sign-in", data={"user-id": "filer-1", "password": PASSWORD})
    assert response.status_code == 403
    assert "cabinet_session" not in web.cookies


def test_pages_need_a_signed_in_user(web: TestClient) -> None:
    response = web.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/sign-in")


def test_signing_out_ends_the_session_on_the_server(web: TestClient) -> None:
    sign_in(web, "clerk")
    token = web.cookies["cabinet_session"]
    page = web.get("/sign-out").text
    assert web.post("/sign-out", data={"csrftoken": csrf_token(page)}).status_code == 200
    web.cookies.set("cabinet_session", token, domain="testserver.local")
    assert web.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_another_roles_pages_are_not_found(web: TestClient) -> None:
    sign_in(web, "filer-1")
    assert web.get("/queue").status_code == 404
    assert web.get("/dashboard").status_code == 404


def test_staff_on_another_roles_page_are_told_they_have_no_access(web: TestClient) -> None:
    sign_in(web, "watcher")
    page = web.get("/queue")
    assert page.status_code == 403
    assert "You do not have access to this page" in page.text


def test_five_wrong_passwords_lock_the_account_for_a_while(web: TestClient) -> None:
    for _ in range(MAX_FAILED_SIGN_INS):
        assert sign_in(web, "filer-1", "not the password") == "400"
    token = csrf_token(web.get("/sign-in").text)
    locked = web.post(
        "/sign-in", data={"user-id": "filer-1", "password": PASSWORD, "csrftoken": token}
    )
    assert locked.status_code == 400
    assert "You entered the wrong password too many times. Try again after" in locked.text
    assert "cabinet_session" not in web.cookies
    # Another account is not affected.
    assert sign_in(web, "clerk") == "/queue"


def test_a_right_password_before_the_lock_starts_the_count_again(web: TestClient) -> None:
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        sign_in(web, "filer-1", "not the password")
    assert sign_in(web, "filer-1") == "/returns"
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        sign_in(web, "filer-1", "not the password")
    assert sign_in(web, "filer-1") == "/returns"


def test_a_new_password_ends_the_sessions_of_the_old_one(web: TestClient, tmp_path: Path) -> None:
    sign_in(web, "clerk")
    assert web.get("/", follow_redirects=False).headers["location"] == "/queue"
    save_accounts(
        f"sqlite+aiosqlite:///{tmp_path / 'web.db'}",
        "dept",
        [Account("clerk", Role.CASEWORKER)],
        "a brand new password",
    )
    assert web.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_an_idle_session_ends(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    save_accounts(database_url, "dept", [Account("clerk", Role.CASEWORKER)], PASSWORD)
    settings = WebSettings(
        database_url=database_url,
        secret_key=SecretStr("s" * 32),
        session_idle_minutes=0,
        intake_url="http://127.0.0.1:9",
        cycles_url="http://127.0.0.1:9",
    )
    with TestClient(create_app(settings), base_url="https://testserver") as web:
        assert sign_in(web, "clerk") == "/queue"
        assert web.get("/", follow_redirects=False).headers["location"] == "/sign-in"
