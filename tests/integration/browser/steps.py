"""Steps of the journeys, as a person takes them in the browser: each checks the pages it
passes (axe, CSP, other hosts, screenshot) as it goes."""

import json
import re
from dataclasses import dataclass

from playwright.async_api import FilePayload, expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.helpers import VAT_ANSWERS, eventually

ERROR_TITLE = re.compile(r"^Error: ")
RETURN_SENT_OR_ACCEPTED = re.compile(r"Return (sent|accepted)|A person is checking your return")


@dataclass(frozen=True)
class Receipt:
    payee: str
    pounds: str
    content: bytes
    file_name: str
    media_type: str = "application/pdf"


async def answer_the_questions(visitor: Visitor) -> None:
    """From the task list: every question page of the VAT return, one error on the way."""
    page = visitor.page
    await page.get_by_role("link", name="Answer the questions").click()
    await visitor.check("Question page")
    await page.locator("#box1").fill("one hundred")
    await page.get_by_role("button", name="Continue").click()
    await expect(page).to_have_title(ERROR_TITLE)
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await expect(page.locator("#box1")).to_have_value("one hundred")
    await visitor.check("Question page with errors")
    while await page.locator("#box1, #box6").count():
        for field, value in VAT_ANSWERS.items():
            box = page.locator(f"input#{field}[type=text]")
            if await box.count():
                await box.fill(value)
        # Wait for the next page to load before looking at it: click() returns once the
        # form is submitted, so the loop's check could see the question page still shown
        # (and fill it as it went away) or a page half loaded without its boxes yet, and
        # leave the loop on "Box 6 to box 9" (seen in a run, JavaScript off).
        async with page.expect_navigation():
            await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Add receipts")


async def add_receipt(visitor: Visitor, receipt: Receipt, day: str) -> None:
    page = visitor.page
    year, month, date = day.split("-")
    upload = FilePayload(
        name=receipt.file_name, mimeType=receipt.media_type, buffer=receipt.content
    )
    await page.get_by_label("Upload a file").set_input_files(files=[upload])
    await page.get_by_label("Day").fill(str(int(date)))
    await page.get_by_label("Month").fill(str(int(month)))
    await page.get_by_label("Year").fill(year)
    await page.get_by_label("Amount").fill(receipt.pounds)
    await page.get_by_label("Who is the receipt from?").fill(receipt.payee)
    await page.get_by_label("Category").fill("travel")
    await page.get_by_role("button", name="Add receipt").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Receipt added")


async def check_and_send(visitor: Visitor) -> None:
    page = visitor.page
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your return"
    )
    await visitor.check("Check answers")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Declaration")
    await page.get_by_role("button", name="Accept and send").click()
    await expect(page).to_have_title(ERROR_TITLE)
    await visitor.check("Declaration with errors")
    await page.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Accept and send").click()
    # Sent, or already accepted (or held for a person) if the checks were quick.
    await expect(page.locator(".govuk-panel")).to_contain_text(RETURN_SENT_OR_ACCEPTED)
    await visitor.check("Confirmation")


async def file_a_return(
    visitor: Visitor, web_department: WebDepartment, filer: str, receipts: list[Receipt]
) -> None:
    page = visitor.page
    department = web_department.department
    await visitor.sign_in(web_department.user(filer), web_department.password)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your returns")
    await visitor.check("Your returns")
    await page.get_by_role("link", name="Start").click()
    await visitor.check("Task list")
    await answer_the_questions(visitor)
    await visitor.check("Add receipts")
    for receipt in receipts:
        await add_receipt(visitor, receipt, department.day(3))
    await visitor.check("Add receipts, with receipts")
    await check_and_send(visitor)


async def acknowledgement(visitor: Visitor) -> str:
    """Refresh the bookmarkable confirmation page until the acknowledgement is issued, as
    its page says to; open it and fetch its PDF. Returns its reference."""
    page = visitor.page

    async def issued() -> bool | None:
        await page.reload()
        return True if await page.get_by_text("Your acknowledgement").count() else None

    await eventually(issued, what="the acknowledgement")
    reference = (
        await page.locator(".govuk-summary-list__row", has_text="Acknowledgement reference")
        .locator("dd")
        .inner_text()
    )
    await visitor.check("Confirmation with acknowledgement")
    pdf = await page.request.get(
        await page.get_by_role("link", name="Download your acknowledgement (PDF)").get_attribute(
            "href"
        )
        or ""
    )
    assert pdf.status == 200
    assert (await pdf.body()).startswith(b"%PDF")
    await page.get_by_role("link", name="View your acknowledgement").click()
    await expect(page.locator("body")).to_contain_text(reference.strip())
    # Issue 12 item 4: the filer's acknowledgement, in the service's layout, with what was
    # declared, the receipts sent, a way back and the signed document still attached.
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Acknowledgement of your return"
    )
    await expect(page.get_by_role("heading", name="What you declared")).to_be_visible()
    await expect(page.locator("table.govuk-table tbody tr").first).to_be_visible()
    await expect(page.get_by_role("link", name="Back", exact=True)).to_be_visible()
    assert not re.search(r"\d{4}-\d\d-\d\dT", await page.locator("main").inner_text())
    signed = await page.request.get(
        await page.get_by_role(
            "link", name="Download the signed acknowledgement (JSON file)"
        ).get_attribute("href")
        or ""
    )
    assert signed.status == 200
    document = json.loads(await signed.body())
    assert document["reference"] == reference.strip() and "signature" in document
    await visitor.check("Acknowledgement (HTML)")
    await page.go_back()
    return reference.strip()


async def return_the_second_receipt(visitor: Visitor, obligation_id: str) -> None:
    """From the queue: open the held return, return receipt 2 as a possible duplicate."""
    page = visitor.page
    await visitor.goto("/queue")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    await visitor.check("Queue")
    await page.locator(f"a[href='/queue/{obligation_id}']").click()
    await expect(page.locator(".govuk-inset-text")).to_contain_text("held for a caseworker")
    await visitor.check("Caseworker: one return")

    await page.get_by_role("button", name="Return to filer").click()
    await page.get_by_role("button", name="Return to filer").click()
    await expect(page).to_have_title("Error: Return to the filer – Cabinet")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select accept or return for receipt 1"
    )
    await visitor.check("Caseworker: return with errors")

    await page.locator("#receipt-1-decision").check()
    await page.locator("#receipt-2-decision-2").check()
    reasons = page.get_by_role("group", name="Reason for returning receipt 2")
    await reasons.get_by_label("Possible duplicate of another receipt").check()
    await page.get_by_label("Note for the filer about receipt 2").fill(
        "Another filer claimed this taxi fare. Send your own receipt for it, or leave it out."
    )
    await visitor.check("Caseworker: return form")
    await page.get_by_role("button", name="Return to filer").click()
    await expect(page.locator(".govuk-notification-banner")).to_be_visible()
    await visitor.check("Caseworker: return after a decision")
