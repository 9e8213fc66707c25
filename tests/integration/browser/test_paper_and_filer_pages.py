"""The paper lane (a caseworker keys in a return received on paper, with scans, marked as
paper in every record), a filer's draft saved and continued, the file upload's errors in
the GOV.UK wording, and a filer kept to their own returns, by URL guessing too."""

import json

import httpx
from playwright.async_api import FilePayload, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import (
    Receipt,
    acknowledgement,
    add_receipt,
    answer_the_questions,
    check_and_send,
)
from tests.integration.conftest import Department
from tests.integration.helpers import obligation_in_status


async def test_a_caseworker_keys_in_a_paper_return(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    page = visitor.page
    keyed_by = web_department.user("caseworker")
    await visitor.sign_in(keyed_by, web_department.password)
    await page.get_by_role("link", name="Paper returns").click()
    await page.get_by_label("Filer").select_option("filer-c")
    await page.get_by_role("button", name="Show returns").click()
    await visitor.check("Paper returns")
    await page.get_by_role("link", name="Key in a paper return").click()
    await expect(page.locator("main")).to_contain_text(
        f"Paper return for Filer C, keyed by {keyed_by}"
    )
    await visitor.check("Paper return task list")
    await answer_the_questions(visitor)
    scan = Receipt("Hotel Ltd", "80.00", receipt_files.jpeg(), "scan-1.jpg", "image/jpeg")
    await add_receipt(visitor, scan, department.day(2))
    await check_and_send(visitor)
    await expect(page.locator("main")).to_contain_text(f"On paper, keyed by {keyed_by}")
    await acknowledgement(visitor)

    obligation_id = department.obligation_id("filer-c")
    obligation = await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    assert f"received on paper, keyed by {keyed_by}" in " ".join(
        entry["detail"] for entry in obligation["history"]
    )
    submission = (
        await intake.get(f"/departments/{department.id}/submissions/{obligation['submission_id']}")
    ).json()
    [version] = submission["versions"]
    assert (version["channel"], version["keyed_by"]) == ("paper", keyed_by)
    document = await cycles.get(
        f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    )
    assert (json.loads(document.content)["channel"], json.loads(document.content)["keyed_by"]) == (
        "paper",
        keyed_by,
    )


async def test_a_filer_saves_a_draft_and_comes_back_to_it(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = visitor.page
    await visitor.sign_in(web_department.user("filer-b"), web_department.password)
    await page.get_by_role("link", name="Start").click()
    await page.get_by_role("link", name="Answer the questions").click()
    await page.locator("#box1").fill("100")
    await page.get_by_role("button", name="Save and come back later").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your return has been saved"
    )
    await visitor.check("Your returns, draft saved")

    await visitor.sign_in(web_department.user("filer-b"), web_department.password)
    await page.get_by_role("link", name="Continue").click()
    await page.get_by_role("link", name="Answer the questions").click()
    await expect(page.locator("#box1")).to_have_value("100")


async def test_file_upload_errors_use_the_gov_uk_wording(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = visitor.page
    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    await page.get_by_role("link", name="Start").click()
    await page.get_by_role("link", name="Add receipts").click()
    await page.get_by_role("button", name="Add receipt").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a file")
    await expect(page.locator("#file-error")).to_contain_text("Select a file")
    await visitor.check("Add receipts with errors")

    upload = page.get_by_label("Upload a file")
    word_document = b"PK\x03\x04" + bytes(200)
    await upload.set_input_files(
        files=[FilePayload(name="claim.docx", mimeType="application/zip", buffer=word_document)]
    )
    await page.get_by_role("button", name="Add receipt").click()
    await expect(page.locator("#file-error")).to_contain_text("The selected file must be a")
    await upload.set_input_files(
        files=[FilePayload(name="empty.pdf", mimeType="application/pdf", buffer=b"")]
    )
    await page.get_by_role("button", name="Add receipt").click()
    await expect(page.locator("#file-error")).to_contain_text("The selected file is empty")


async def test_a_filer_reaches_only_their_own_returns(
    visitor: Visitor, web_department: WebDepartment, other_department: Department
) -> None:
    department = web_department.department
    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    neighbour = department.obligation_id("filer-b")
    elsewhere = other_department.obligation_id("filer-a")
    for obligation_id in (neighbour, elsewhere, "no-such-obligation"):
        for path in ("", "/questions/box1", "/receipts", "/check", "/confirmation"):
            response = await visitor.goto(f"/returns/{obligation_id}{path}")
            assert response.status == 404, f"/returns/{obligation_id}{path}"
    for staff_page in ("/queue", "/paper", f"/queue/{neighbour}"):
        assert (await visitor.goto(staff_page)).status == 404, staff_page
    await expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Page not found")


async def test_a_filer_removes_a_receipt_they_added(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = visitor.page
    await visitor.sign_in(web_department.user("filer-c"), web_department.password)
    await page.get_by_role("link", name="Start").click()
    await page.get_by_role("link", name="Add receipts").click()
    parking = Receipt("Car Park Ltd", "6.50", receipt_files.png(), "parking.png", "image/png")
    await add_receipt(visitor, parking, web_department.department.day(1))
    await page.get_by_role("link", name="Remove").click()
    await visitor.check("Remove a receipt")
    await page.get_by_role("button", name="Yes, remove it").click()
    await expect(page.locator("main")).to_contain_text("You have not added any receipts.")
