"""Signing in and out, errors the GOV.UK way, the security headers and cookies, and the
pages everyone can see."""

import pytest
from playwright.async_api import expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment


async def test_sign_in_errors_then_sign_in_and_out(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = visitor.page
    response = await visitor.goto("/sign-in")
    await visitor.check("Sign in")
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["referrer-policy"] == "no-referrer"

    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_title("Error: Sign in – Cabinet")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter your user ID")
    await expect(page.locator("#user-id-error")).to_contain_text("Enter your user ID")
    await visitor.check("Sign in with errors")

    await page.get_by_label("User ID").fill(web_department.user("filer-a"))
    await page.get_by_label("Password", exact=True).fill("not the password at all")
    await page.get_by_role("button", name="Sign in").click()
    await expect(summary).to_contain_text("Enter a correct user ID and password")
    await expect(page.get_by_label("User ID")).to_have_value(web_department.user("filer-a"))

    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    await expect(page).to_have_url(f"{web_department.base_url}/returns")
    session = next(c for c in await visitor.context.cookies() if c["name"] == "cabinet_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    await page.get_by_role("link", name="Sign out").click()
    await visitor.check("Sign out")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    await visitor.check("Signed out")
    await visitor.goto("/returns")
    await expect(page).to_have_url(f"{web_department.base_url}/sign-in")


async def test_accessibility_statement_is_linked_from_every_footer(visitor: Visitor) -> None:
    await visitor.goto("/sign-in")
    await visitor.page.get_by_role("link", name="Accessibility statement").click()
    await expect(visitor.page.get_by_role("heading", level=1)).to_contain_text("Accessibility")
    await visitor.check("Accessibility statement")


@pytest.mark.parametrize("javascript", [False], ids=["js-off"])
async def test_a_form_without_its_csrf_token_is_refused(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    await visitor.goto("/sign-in")
    response = await visitor.page.request.post(
        "/sign-in",
        form={"user-id": web_department.user("filer-a"), "password": web_department.password},
    )
    assert response.status == 403
    assert "cabinet_session" not in {c["name"] for c in await visitor.context.cookies()}
