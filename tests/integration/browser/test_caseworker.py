"""A caseworker's pages: the queue and its filters, a held return with its receipts shown
inline, returning one receipt with a coded reason and a note, extending and waiving; and
another department's returns are not found, by URL guessing too."""

import re
from datetime import date, timedelta

import httpx
from playwright.async_api import Browser, Page, expect

from tests import receipt_files
from tests.integration.browser.browser_support import Report, Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import return_the_second_receipt
from tests.integration.conftest import Department
from tests.integration.helpers import (
    eventually,
    latest_history_entry,
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
        return True if "held for a caseworker" in latest_history_entry(body)["detail"] else None

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
    paths = (
        f"/queue/{theirs}",
        f"/queue/{theirs}/return",
        f"/queue/{theirs}/waive",
        f"/queue/{theirs}/receipts/{theirs}/compare",
    )
    for path in paths:
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


# Issue 12 item 5: comparing a possible duplicate side by side, and a reason in the
# caseworker's own words, which the filer reads and which says nothing of other filers.

THEIR_WORDS = "Your business partner has claimed this fare. Leave it out of your return."


async def test_a_caseworker_compares_a_possible_duplicate_and_returns_it_in_their_words(
    browser: Browser,
    web_department: WebDepartment,
    javascript: bool,
    report: Report,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    held = await hold_for_a_caseworker(department, intake, cycles)
    first = department.obligation_id("filer-a")
    base_url = web_department.base_url
    caseworker = await Visitor.open(browser, base_url, javascript, report)
    filer = await Visitor.open(browser, base_url, javascript, report)
    try:
        page = caseworker.page
        await caseworker.sign_in(web_department.user("caseworker"), web_department.password)
        await caseworker.goto(f"/queue/{held}")
        # Only the taxi fare is marked, and it links to its comparison.
        warning = page.locator(".app-possible-duplicate")
        await expect(warning).to_have_count(1)
        await expect(warning).to_contain_text("Receipt 2 may be a duplicate")
        await caseworker.check("Caseworker: a possible duplicate marked")
        await warning.get_by_role(
            "link", name="Compare receipt 2 with the receipt it looks like"
        ).click()

        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Compare receipt 2 with the receipt it looks like"
        )
        cards = page.locator(".govuk-summary-card")
        await expect(cards).to_have_count(2)
        for card in (cards.nth(0), cards.nth(1)):
            for words in ("Taxi Co", "£43.21", "office"):
                await expect(card).to_contain_text(words)
        await expect(cards.nth(0)).to_contain_text("filer-b (this return)")
        await expect(cards.nth(1)).to_contain_text("filer-a")
        await expect(
            page.get_by_role(
                "heading", name="The receipt it looks like: receipt 1 of filer-a's return"
            )
        ).to_be_visible()
        await expect(page.get_by_role("link", name="View filer-a's return")).to_have_attribute(
            "href", f"/queue/{first}"
        )
        # Each file is shown beside its line: filer-a's PDF, filer-b's PNG.
        await expect(page.locator(f"iframe[src^='/queue/{first}/receipts/']")).to_have_count(1)
        await expect(page.locator(f"img[src^='/queue/{held}/receipts/']")).to_have_count(1)
        await caseworker.check("Caseworker: compare a possible duplicate")

        # "Other" reveals its details (JavaScript on), or shows them anyway (off).
        details = page.get_by_label("Details for the filer about receipt 2")
        if javascript:
            await expect(details).to_be_hidden()
        else:
            await expect(details).to_be_visible()
        reasons = page.get_by_role("group", name="Reason for returning receipt 2")
        await reasons.get_by_label("Other (give details)").check()
        await expect(details).to_be_visible()
        await page.get_by_label("Note for the filer about receipt 2").fill("")
        await page.get_by_role("button", name="Return receipt 2 to the filer").click()
        await expect(page).to_have_title("Error: Return to the filer – Cabinet")
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_contain_text("Enter details for the filer about receipt 2")
        await expect(reasons.get_by_label("Other (give details)")).to_be_checked()
        await expect(page.locator("#receipt-1-decision")).to_be_checked()  # kept: accept
        await caseworker.check("Caseworker: return, Other without details")
        await summary.get_by_role(
            "link", name="Enter details for the filer about receipt 2"
        ).click()
        if javascript:  # GOV.UK Frontend's error summary moves the focus to the field
            await expect(details).to_be_focused()
        await details.fill(THEIR_WORDS)
        await page.get_by_role("button", name="Return to filer").click()
        await expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "Return sent back to the filer"
        )
        await caseworker.check("Caseworker: returned in their own words")

        returned = await obligation_in_status(cycles, department.id, held, "returned")
        submission = (
            await intake.get(
                f"/departments/{department.id}/submissions/{returned['submission_id']}"
            )
        ).json()
        [version] = submission["versions"]
        assert [r["returned"] for r in version["receipts"]] == [False, True]
        assert version["receipts"][1]["return_reasons"] == [
            {"code": "OTHER", "message": THEIR_WORDS, "field_id": None}
        ]

        # filer-b reads the caseworker's words, and nothing of filer-a.
        fpage = filer.page
        await filer.sign_in(web_department.user("filer-b"), web_department.password)
        await filer.goto("/returns")
        await fpage.get_by_role("link", name="View returned reasons and correct").click()
        await fpage.get_by_role("link", name="see which and why").click()
        await expect(fpage.locator("main")).to_contain_text(THEIR_WORDS)
        assert "filer-a" not in await fpage.locator("main").inner_text()
        await filer.check("Filer: a receipt returned in the caseworker's words")
    finally:
        await caseworker.close()
        await filer.close()


async def test_the_history_names_an_automatically_returned_receipt_in_words(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    obligation_id = department.obligation_id("filer-c")
    before = department.period.start - timedelta(days=10)
    filed = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(before.isoformat(), 999, "Far Away Ltd")],
        [unique_file(obligation_id)],
    )
    assert filed.status_code == 202, filed.text
    await obligation_in_status(cycles, department.id, obligation_id, "returned")
    await visitor.sign_in(web_department.user("caseworker"), web_department.password)
    await visitor.goto(f"/queue/{obligation_id}")
    history = visitor.page.get_by_role(
        "table", name="What has happened to this return, the latest first"
    )
    await expect(history).to_contain_text(
        f"receipt 1 of version 1 (Far Away Ltd, £9.99, {before.day} {before:%B %Y})"
    )
    text = await history.inner_text()
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text), text
    await visitor.check("Caseworker: history in words")
