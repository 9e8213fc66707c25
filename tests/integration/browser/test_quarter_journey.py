"""The whole quarter in the browser, as the issue's "done when" says: a filer files a
return and gets the acknowledgement; another files one a caseworker has to look at, the
caseworker returns one receipt, and the filer replaces just that one and resubmits; the
operator sees the quarter's chart. Every page checked on the way, JavaScript on and off."""

import re
from dataclasses import dataclass

import httpx
from playwright.async_api import Browser, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Report, Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.test_caseworker import return_the_second_receipt
from tests.integration.helpers import VAT_ANSWERS, eventually, obligation_in_status

ERROR_TITLE = re.compile(r"^Error: ")


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
        await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Add receipts")


async def add_receipt(visitor: Visitor, receipt: Receipt, day: str) -> None:
    page = visitor.page
    year, month, date = day.split("-")
    await page.get_by_label("Upload a file").set_input_files(
        files=[
            {"name": receipt.file_name, "mimeType": receipt.media_type, "buffer": receipt.content}
        ]
    )
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
    await expect(page.locator(".govuk-panel")).to_contain_text("Return sent")
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
    await page.go_back()
    return reference.strip()


async def test_a_quarter_filed_returned_resubmitted_and_seen(
    browser: Browser,
    web_department: WebDepartment,
    javascript: bool,
    report: Report,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    base_url = web_department.base_url
    visitors = [await Visitor.open(browser, base_url, javascript, report) for _ in range(4)]
    filer_a, filer_b, caseworker, operator = visitors
    taxi = Receipt("Taxi Co", "43.21", receipt_files.pdf(f"taxi {department.id}"), "taxi.pdf")
    try:
        # filer-a files and is given the acknowledgement.
        await file_a_return(filer_a, web_department, "filer-a", [taxi])
        reference = await acknowledgement(filer_a)
        assert len(reference) == 12

        # filer-b files a stationery receipt and a taxi fare like filer-a's: held.
        stationery = Receipt(
            "Stationers Ltd", "15.00", receipt_files.png(), "stationery.png", "image/png"
        )
        same_fare = Receipt("Taxi Co", "43.21", receipt_files.jpeg(), "fare.jpg", "image/jpeg")
        await file_a_return(filer_b, web_department, "filer-b", [stationery, same_fare])
        obligation_b = department.obligation_id("filer-b")

        async def held() -> bool | None:
            path = f"/departments/{department.id}/obligations/{obligation_b}"
            detail = (await cycles.get(path)).json()["history"][-1]["detail"]
            return True if "held for a caseworker" in detail else None

        await eventually(held, what="filer-b's return to be held")

        # The caseworker returns the taxi fare alone.
        await caseworker.sign_in(web_department.user("caseworker"), web_department.password)
        await return_the_second_receipt(caseworker, obligation_b)
        first = await obligation_in_status(cycles, department.id, obligation_b, "returned")

        # filer-b sees why, replaces just that receipt and sends the return again.
        page = filer_b.page
        await filer_b.goto("/returns")
        await page.get_by_role("link", name="View returned reasons and correct").click()
        await expect(page.locator("main")).to_contain_text("1 receipt was sent back")
        await filer_b.check("Returned return")
        await page.get_by_role("link", name="see which and why").click()
        await expect(page.get_by_role("heading", name="Receipts sent back to you")).to_be_visible()
        await expect(page.locator("main")).to_contain_text("Another filer claimed this taxi fare")
        await filer_b.check("Add receipts, after a return")
        rail = Receipt("Rail Co", "20.00", receipt_files.pdf(f"rail {department.id}"), "rail.pdf")
        await add_receipt(filer_b, rail, department.day(4))
        await check_and_send(filer_b)
        await acknowledgement(filer_b)

        submission = (
            await intake.get(f"/departments/{department.id}/submissions/{first['submission_id']}")
        ).json()
        version_1, version_2 = submission["versions"]
        kept, returned = version_1["receipts"]
        assert returned["returned"] and not kept["returned"]
        assert version_2["receipts"][0]["receipt_id"] == kept["receipt_id"]
        assert [r["payee"] for r in version_2["receipts"]] == ["Stationers Ltd", "Rail Co"]

        # The operator sees the quarter: two accepted, one not filed.
        await operator.sign_in(web_department.user("operator"), web_department.password)
        table = operator.page.get_by_role(
            "table", name=f"Obligations by status, VAT return, {department.period.key}"
        )
        await expect(table.get_by_role("row", name="Accepted 2 67%")).to_be_visible()
        await expect(table.get_by_role("row", name="Not filed 1 33%")).to_be_visible()
        await operator.check("Dashboard after filing")
    finally:
        for visitor in visitors:
            await visitor.close()
