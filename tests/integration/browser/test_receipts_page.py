"""The receipts page keeps what a filer typed: a receipt filled in and then continued from
is added, never dropped; the hint's example date is one the form takes; a date error in
the summary leads to the day input."""

import re

from playwright.async_api import FilePayload, Page, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment


async def _open_receipts(visitor: Visitor, web_department: WebDepartment) -> Page:
    page = visitor.page
    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    await page.get_by_role("link", name="Start").click()
    await page.get_by_role("link", name="Add receipts").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Add receipts")
    return page


async def test_a_receipt_filled_in_and_continued_from_is_added_with_the_hints_date(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = await _open_receipts(visitor, web_department)
    hint = await page.locator("#date-hint").inner_text()
    example = re.fullmatch(r"For example, (\d+) (\d+) (\d{4})", hint.strip())
    assert example is not None, hint
    day, month, year = example.groups()
    await page.get_by_label("Upload a file").set_input_files(
        files=[FilePayload(name="taxi.pdf", mimeType="application/pdf", buffer=receipt_files.pdf())]
    )
    await page.get_by_label("Day").fill(day)
    await page.get_by_label("Month").fill(month)
    await page.get_by_label("Year").fill(year)
    await page.get_by_label("Amount").fill("12.40")
    await page.get_by_label("Who is the receipt from?").fill("Kerbside Taxis")
    await page.get_by_label("Category").fill("travel")
    # Continue, not "Add receipt": the receipt is still added.
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your return"
    )
    await expect(page.locator("main")).to_contain_text("Kerbside Taxis, £12.40")
    await visitor.check("Check answers after continuing with a receipt filled in")


async def test_a_half_filled_receipt_stops_continue_and_the_date_error_leads_to_the_day(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = await _open_receipts(visitor, web_department)
    await page.get_by_label("Amount").fill("7.00")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Add receipts")
    summary = page.locator(".govuk-error-summary")
    date_link = summary.get_by_role("link", name="Enter the date on the receipt")
    await expect(date_link).to_have_attribute("href", "#date-day")
    await expect(page.get_by_label("Amount")).to_have_value("7.00")
    await visitor.check("Add receipts, continued with a receipt half filled in")
    await date_link.click()
    if visitor.javascript:  # GOV.UK Frontend's error summary moves the focus
        await expect(page.locator("#date-day")).to_be_focused()
