"""The receipts page keeps what a filer typed: a receipt filled in and then continued from
is added, never dropped; the hint's example date is one the form takes; a date error in
the summary leads to the day input; a receipt is changed in place, from the receipts page
or from check answers, keeping its file unless another is chosen."""

import re

from playwright.async_api import FilePayload, Page, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import ERROR_TITLE, Receipt, add_receipt


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


async def _hint_day(page: Page) -> str:
    """The hint's example date (one the form takes) as YYYY-MM-DD."""
    hint = await page.locator("#date-hint").inner_text()
    example = re.fullmatch(r"For example, (\d+) (\d+) (\d{4})", hint.strip())
    assert example is not None, hint
    day, month, year = example.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


async def test_a_receipt_is_changed_in_place_keeping_its_file(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = await _open_receipts(visitor, web_department)
    day = await _hint_day(page)
    taxi = Receipt("Kerbside Taxis", "12.40", receipt_files.pdf(), "taxi.pdf")
    await add_receipt(visitor, taxi, day)
    await add_receipt(visitor, Receipt("Paper Co", "5.99", receipt_files.pdf(), "paper.pdf"), day)

    # From the receipts page: the question page, filled in with the receipt's line.
    first = page.locator(".govuk-summary-card").filter(has_text="Receipt 1: Kerbside Taxis")
    await first.get_by_role("link", name="Change").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Change the receipt")
    await expect(page.get_by_label("Amount")).to_have_value("12.40")
    await expect(page.get_by_label("Who is the receipt from?")).to_have_value("Kerbside Taxis")
    await expect(page.get_by_label("Category")).to_have_value("travel")
    await expect(page.locator("main")).to_contain_text("taxi.pdf is kept")
    await visitor.check("Change a receipt")
    await page.get_by_label("Amount").fill("")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page).to_have_title(ERROR_TITLE)
    await expect(page.get_by_label("Who is the receipt from?")).to_have_value("Kerbside Taxis")
    await visitor.check("Change a receipt with errors")
    await page.get_by_label("Amount").fill("13.10")
    await page.get_by_label("Who is the receipt from?").fill("Kerbside Cabs")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Receipt changed")
    cards = page.locator(".govuk-summary-card")
    await expect(cards).to_have_count(2)
    # Still receipt 1, still its file; the other receipt untouched.
    first = cards.nth(0)
    await expect(first).to_contain_text("Receipt 1: Kerbside Cabs")
    await expect(first).to_contain_text("£13.10")
    await expect(first).to_contain_text("taxi.pdf")
    await expect(cards.nth(1)).to_contain_text("Receipt 2: Paper Co")
    await visitor.check("Add receipts after changing a receipt")

    # From check answers: back to check answers, with the new line.
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your return"
    )
    await page.get_by_role("link", name="Change receipt 2").click()
    await expect(page.get_by_label("Who is the receipt from?")).to_have_value("Paper Co")
    await page.get_by_label("Upload a different file (optional)").set_input_files(
        files=[
            FilePayload(
                name="paper-clear.pdf", mimeType="application/pdf", buffer=receipt_files.pdf()
            )
        ]
    )
    await page.get_by_label("Amount").fill("6.49")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your return"
    )
    receipts = page.locator(".govuk-summary-list").nth(1)
    await expect(receipts).to_contain_text("Kerbside Cabs, £13.10")
    await expect(receipts).to_contain_text("Paper Co, £6.49")
    await expect(receipts).to_contain_text("paper-clear.pdf")
    await expect(receipts).to_contain_text("£19.59")
    await visitor.check("Check answers after changing a receipt")
