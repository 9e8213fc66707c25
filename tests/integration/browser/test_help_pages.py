"""Help and contact, and what to do about a forgotten password (issue 12 item 8): reached
by their links from the footer and the sign-in page, signed out."""

import re

from playwright.async_api import expect

from tests.integration.browser.browser_support import Visitor


async def test_help_and_the_forgotten_password_page_are_linked_when_signed_out(
    visitor: Visitor,
) -> None:
    page = visitor.page
    heading = page.get_by_role("heading", level=1)
    main = page.locator("main")
    await visitor.goto("/sign-in")
    await page.get_by_role("contentinfo").get_by_role("link", name="Help and contact").click()
    await expect(page).to_have_url(re.compile(r"/help$"))
    await expect(page).to_have_title("Help and contact – Cabinet")
    await expect(heading).to_have_text("Help and contact")
    await expect(main.get_by_role("heading", name="Contact the department")).to_be_visible()
    await visitor.check("Help and contact")

    await main.get_by_role("link", name="If you have forgotten your password").click()
    await expect(page).to_have_url(re.compile(r"/forgotten-password$"))
    await expect(heading).to_have_text("If you have forgotten your password")
    await expect(main).to_contain_text("Cabinet does not send password reset emails")
    await expect(main).to_contain_text("the department's administrator")
    await visitor.check("Forgotten password")

    await page.get_by_role("link", name="Back to sign in").click()
    await expect(heading).to_have_text("Sign in")
    await page.get_by_role("link", name="I have forgotten my password").click()
    await expect(page).to_have_url(re.compile(r"/forgotten-password$"))
    await expect(heading).to_have_text("If you have forgotten your password")
