"""A caseworker's pages: the queue and its filters, a held return with its receipts shown
inline, returning one receipt with a coded reason and a note, extending and waiving; and
another department's returns are not found, by URL guessing too."""

from datetime import date, timedelta

import httpx
from playwright.async_api import Page, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import return_the_second_receipt
from tests.integration.conftest import Department
from tests.integration.helpers import (
    eventually,
    obligation_in_status,
    receipt_line,
    submit,
    unique_file,
)


async def hold_for_a_caseworker(
    department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> str:
    """filer-a files a taxi receipt and is accepted; filer-b files the same payee, amount
    and date (another file) beside a good receipt: a possible duplicate, held. Returns
    filer-b's obligation id."""
    first, second = department.obligation_id("filer-a"), department.obligation_id("filer-b")
    day = department.day(3)
    taxi = receipt_line(day, 4321, "Taxi Co")
    filed = await submit(intake, department.id, first, [taxi], [unique_file(first)])
    assert filed.status_code == 202, filed.text
    await obligation_in_status(cycles, department.id, first, "accepted")
    lines = [receipt_line(day, 1500, "Stationers Ltd"), taxi]
    files = [unique_file(second), receipt_files.png()]
    filed = await submit(intake, department.id, second, lines, files)
    assert filed.status_code == 202, filed.text

    async def held() -> bool | None:
        body = (await cycles.get(f"/departments/{department.id}/obligations/{second}")).json()
        return True if "held for a caseworker" in body["history"][-1]["detail"] else None

    await eventually(held, what="the return to be held for a caseworker")
    return second


async def test_a_caseworker_returns_one_receipt_of_a_held_return(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    held = await hold_for_a_caseworker(department, intake, cycles)
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await return_the_second_receipt(visitor, held)

    returned = await obligation_in_status(cycles, department.id, held, "returned")
    submission = (
        await intake.get(f"/departments/{department.id}/submissions/{returned['submission_id']}")
    ).json()
    [version] = submission["versions"]
    assert [r["returned"] for r in version["receipts"]] == [False, True]
    [reason] = version["receipts"][1]["return_reasons"]
    assert reason["code"] == "POSSIBLE_DUPLICATE"
    assert reason["message"].startswith("Another filer claimed this taxi fare")


async def test_queue_filters_extend_and_waive(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    department = web_department.department
    page = visitor.page
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await visitor.goto("/queue")
    await page.get_by_label("Status").select_option("open")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.get_by_label("Status")).to_have_value("open")
    await visitor.check("Queue, filtered")
    obligation_id = department.obligation_id("filer-c")
    await page.locator(f"a[href='/queue/{obligation_id}']").click()

    await extend_by_a_fortnight(visitor, page)
    await page.get_by_role("button", name="Waive return").click()
    await visitor.check("Caseworker: waive")
    await page.get_by_label("Why are you waiving this return?").fill("The business has closed")
    await page.get_by_role("button", name="Waive return").click()
    await expect(page.get_by_text("There is nothing more to decide")).to_be_visible()


async def extend_by_a_fortnight(visitor: Visitor, page: Page) -> None:
    await page.get_by_role("button", name="Extend due date").click()
    await visitor.check("Caseworker: extend")
    await page.get_by_role("button", name="Extend due date").click()
    await expect(page).to_have_title("Error: Extend the due date – Cabinet")
    await visitor.check("Caseworker: extend with errors")
    later = date.today() + timedelta(days=200)
    await page.get_by_label("Day").fill(str(later.day))
    await page.get_by_label("Month").fill(str(later.month))
    await page.get_by_label("Year").fill(str(later.year))
    await page.get_by_label("Why are you extending the due date?").fill("Flooded office")
    await page.get_by_role("button", name="Extend due date").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"{later.day} {later:%B %Y}"
    )


async def test_another_departments_return_is_not_found(
    visitor: Visitor, web_department: WebDepartment, other_department: Department
) -> None:
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    theirs = other_department.obligation_id("filer-a")
    for path in (f"/queue/{theirs}", f"/queue/{theirs}/return", f"/queue/{theirs}/waive"):
        response = await visitor.goto(path)
        assert response.status == 404, path
        await expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await visitor.check("Page not found")


async def test_a_caseworker_accepts_a_held_return(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    held = await hold_for_a_caseworker(department, intake, cycles)
    page = visitor.page
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await visitor.goto(f"/queue/{held}")
    await page.get_by_role("button", name="Accept return").click()
    await page.get_by_role("button", name="Accept return").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await visitor.check("Caseworker: accept with errors")
    await page.get_by_label("Why are you accepting this return?").fill(
        "Two passengers shared the taxi and each paid their half"
    )
    await page.get_by_role("button", name="Accept return").click()
    await expect(page.get_by_text("There is nothing more to decide")).to_be_visible()
    await visitor.check("Caseworker: accepted return")
    await obligation_in_status(cycles, department.id, held, "accepted")
