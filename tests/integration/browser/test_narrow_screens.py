"""At 375 px wide (a small phone), with JavaScript on and off, the pages with tables and
long values fit the screen: the document is never wider than the viewport. Tables stack
their cells under their headings; long file names and ids wrap."""

import httpx
from playwright.async_api import expect

from tests import receipt_files
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import Receipt, add_receipt
from tests.integration.browser.test_caseworker import hold_for_a_caseworker


async def test_a_filers_returns_and_receipts_fit_a_phone(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = visitor.page
    await visitor.narrow()
    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your returns")
    await visitor.check_fits("Your returns at 375 px")
    await page.get_by_role("link", name="Start").click()
    await page.get_by_role("link", name="Add receipts").click()
    long_name = "receipt-" + "taxi-fare-from-the-station-to-the-office-" * 3 + "november.pdf"
    receipt = Receipt("Kerbside Taxis", "12.40", receipt_files.pdf(), long_name)
    await add_receipt(visitor, receipt, web_department.department.day(2))
    await visitor.check_fits("Add receipts with a long file name at 375 px")
    await page.get_by_role("button", name="Continue").click()
    await visitor.check_fits("Check answers at 375 px")


async def test_a_caseworkers_queue_and_case_view_fit_a_phone(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    held = await hold_for_a_caseworker(web_department.department, intake, cycles)
    page = visitor.page
    await visitor.narrow()
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await visitor.goto("/queue")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    await visitor.check_fits("Queue at 375 px")
    await page.locator(f"a[href='/queue/{held}']").click()
    await expect(page.locator(".govuk-inset-text")).to_contain_text("held for a caseworker")
    await visitor.check_fits("Caseworker: one return at 375 px")
    # The possible duplicate's comparison: side by side on a wide screen, one above the
    # other on a phone.
    await (
        page.locator(".app-possible-duplicate")
        .get_by_role("link", name="Compare receipt 2 with the receipt it looks like")
        .click()
    )
    await expect(page.locator(".govuk-summary-card")).to_have_count(2)
    await visitor.check_fits("Caseworker: compare a possible duplicate at 375 px")
    # (With JavaScript on, the navigation is behind a Menu button at this width.)
    await visitor.goto("/paper")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Paper")
    await visitor.check_fits("Paper returns at 375 px")
