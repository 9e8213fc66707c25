"""A receipt's line filled in from its file (issue 15, item 3), JavaScript on and off: a
filer chooses a photo of a receipt and nothing else, and gets a confirmation page with
its date, amount and payee read from it, to correct and add; a caseworker keying in a
paper return uploads one PDF of three receipts and gets a line per page, to confirm."""

from datetime import date

from playwright.async_api import FilePayload, expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.receipt_corpus import make_receipt, pages_pdf


def pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


async def test_a_filers_photo_fills_in_its_line_to_confirm(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    department = web_department.department
    photo = make_receipt("photo", date.fromisoformat(department.day(3)), seed=5)
    page = visitor.page
    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    await page.get_by_role("link", name="Start").click()
    await page.get_by_role("link", name="Add receipts").click()
    await page.get_by_label("Upload a file").set_input_files(
        files=[FilePayload(name="till.png", mimeType=photo.media_type, buffer=photo.content)]
    )
    await page.get_by_role("button", name="Add receipt").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the details of the receipt"
    )
    await expect(page.locator(".govuk-inset-text")).to_contain_text("filled these in from till.png")
    await expect(page.get_by_label("Day")).to_have_value(str(photo.date.day))
    await expect(page.get_by_label("Month")).to_have_value(str(photo.date.month))
    await expect(page.get_by_label("Year")).to_have_value(str(photo.date.year))
    await expect(page.get_by_label("Amount")).to_have_value(pounds(photo.total_pence))
    payee = page.get_by_label("Who is the receipt from?")
    assert (await payee.input_value()).casefold() == photo.printed_payee.casefold()
    await visitor.check("Add receipts: a photo's line filled in to confirm")

    # Confirmed without a category: the question page again, the values kept.
    await page.get_by_role("button", name="Add receipt").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a category")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the details of the receipt"
    )
    await expect(page.get_by_label("Amount")).to_have_value(pounds(photo.total_pence))
    await visitor.check("Add receipts: a read line confirmed with a problem")
    await payee.fill(photo.payee)  # corrected: as the filer names it
    await page.get_by_label("Category").fill("travel")
    await page.get_by_role("button", name="Add receipt").click()

    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Receipt added")
    main = page.locator("main")
    await expect(main).to_contain_text(photo.payee)
    await expect(main).to_contain_text(f"£{photo.total_pence / 100:,.2f}")
    await expect(main).to_contain_text("till.png")


async def test_a_paper_returns_pdf_becomes_a_line_per_page(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    department = web_department.department
    receipts = [
        make_receipt("text-pdf", date.fromisoformat(department.day(offset)), seed=offset)
        for offset in (2, 5, 9)
    ]
    scan = pages_pdf([r.content for r in receipts])
    page = visitor.page
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await page.get_by_role("link", name="Paper returns").click()
    await page.get_by_label("Filer").select_option("filer-c")
    await page.get_by_role("button", name="Show returns").click()
    await page.get_by_role("link", name="Key in a paper return").click()
    await page.get_by_role("link", name="Add receipts").click()
    await page.get_by_label("Upload a file").set_input_files(
        files=[FilePayload(name="paper return.pdf", mimeType="application/pdf", buffer=scan)]
    )
    await page.get_by_role("button", name="Add receipt").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the details of each receipt"
    )
    for number, receipt in enumerate(receipts, start=1):
        field = f"#page-{number}-"
        await expect(page.locator(field + "date-day")).to_have_value(str(receipt.date.day))
        await expect(page.locator(field + "date-month")).to_have_value(str(receipt.date.month))
        await expect(page.locator(field + "amount")).to_have_value(pounds(receipt.total_pence))
        payee = await page.locator(field + "payee").input_value()
        assert payee.casefold() == receipt.printed_payee.casefold()
        await page.get_by_label(f"Category (page {number})").fill("office")
    await page.get_by_label("Who is the receipt from? (page 2)").fill("")
    await visitor.check("Paper lane: a PDF's pages as lines to confirm")
    await page.get_by_role("button", name="Add 3 receipts").click()

    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role("link", name="Page 2: Enter who the receipt is from")
    await expect(link).to_have_attribute("href", "#page-2-payee")
    await expect(page.locator("#page-3-amount")).to_have_value(pounds(receipts[2].total_pence))
    await visitor.check("Paper lane: a PDF's pages with a problem")
    await page.get_by_label("Who is the receipt from? (page 2)").fill(receipts[1].payee)
    await page.get_by_role("button", name="Add 3 receipts").click()

    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Receipt added")
    main = page.locator("main")
    for number, receipt in enumerate(receipts, start=1):
        await expect(main).to_contain_text(f"paper return page {number}.pdf")
        await expect(main).to_contain_text(f"£{receipt.total_pence / 100:,.2f}")
    await expect(main).to_contain_text(receipts[1].payee)
