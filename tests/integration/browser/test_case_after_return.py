"""After a caseworker returns a return, its case page (and its comparison page) offer
neither Accept nor Return any more, and their forms lead back to the case (issue 12 item
5)."""

import re

import httpx
from playwright.async_api import Page, expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import return_the_second_receipt
from tests.integration.browser.test_caseworker import hold_for_a_caseworker
from tests.integration.helpers import obligation_in_status

NOTHING_TO_DECIDE = "There is nothing to accept or return until they correct it"


async def offers_no_accept_or_return(page: Page) -> None:
    for role in ("button", "link"):
        for name in (re.compile(r"^Accept return"), re.compile(r"^Return (receipt \d+ )?to")):
            await expect(page.get_by_role(role, name=name)).to_have_count(0)


async def test_a_returned_return_offers_neither_accept_nor_return(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    held = await hold_for_a_caseworker(department, intake, cycles)
    page = visitor.page
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await return_the_second_receipt(visitor, held)
    await obligation_in_status(cycles, department.id, held, "returned")

    case = f"{web_department.base_url}/queue/{held}"
    await visitor.goto(f"/queue/{held}")
    await expect(page.locator("main")).to_contain_text(NOTHING_TO_DECIDE)
    await offers_no_accept_or_return(page)
    # What can still be done is offered.
    await expect(page.get_by_role("button", name="Extend due date")).to_be_visible()
    await expect(page.get_by_role("button", name="Waive return")).to_be_visible()
    await visitor.check("Caseworker: a returned return")

    # The comparison of the possible duplicate says the same.
    await page.get_by_role("link", name="Compare receipt 2 with the receipt it looks like").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Compare receipt 2 with the receipt it looks like"
    )
    await expect(page.locator("main")).to_contain_text(NOTHING_TO_DECIDE)
    await offers_no_accept_or_return(page)
    await visitor.check("Caseworker: comparison of a returned return")

    # The forms themselves, opened by their address, lead back to the case.
    for form in ("accept", "return"):
        await visitor.goto(f"/queue/{held}/{form}")
        await expect(page).to_have_url(case)
