"""The whole quarter in the browser, as the issue's "done when" says: a filer files a
return and gets the acknowledgement; another files one a caseworker has to look at, the
caseworker returns one receipt, and the filer replaces just that one and resubmits; the
operator sees the quarter's chart. Every page checked on the way, JavaScript on and off."""

import httpx
from playwright.async_api import Browser, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Report, Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import (
    Receipt,
    acknowledgement,
    add_receipt,
    check_and_send,
    file_a_return,
    return_the_second_receipt,
)
from tests.integration.helpers import eventually, latest_history_entry, obligation_in_status


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
            detail = latest_history_entry((await cycles.get(path)).json())["detail"]
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
