"""A caseworker sees what a receipt says beside its typed line: a filer typed ten times a
till receipt's total; the return is held with AMOUNT_NOT_ON_RECEIPT; the case page shows
the receipt's text with the total marked; the return page comes with the flag as the
reason and note, and returning it sends that reason to the filer. JavaScript on and off."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from playwright.async_api import Browser, expect

from cabinet_devstack.demo import seed_department
from cabinet_devstack.stack import Stack
from cabinet_devstack.web_accounts import department_accounts, save_accounts
from tests.integration.browser.browser_support import Report, Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.conftest import CURRENT_QUARTER, Department
from tests.integration.helpers import eventually, latest_history_entry, obligation_in_status, submit
from tests.integration.test_receipt_reading import reading_vat_return
from tests.receipt_corpus import make_receipt


@pytest.fixture
def reading_department(stack: Stack) -> WebDepartment:
    department_id = f"read-{uuid.uuid4().hex[:10]}"
    obligations = seed_department(
        stack.config.url("cycles"),
        stack.config.url("intake"),
        department_id,
        "vat-return",
        {"filer-a": "Filer A"},
        CURRENT_QUARTER.key,
        stack.config.machine_auth(),
        definition_yaml=reading_vat_return(),
    )
    department = Department(department_id, {o["filer_id"]: o for o in obligations})
    accounts = department_accounts(list(department.obligations), prefix=f"{department_id}.")
    save_accounts(stack.config.process_env("web")["CABINET_DATABASE_URL"], department_id, accounts)
    return WebDepartment(department, stack.config.url("web"))


@pytest.fixture
async def caseworker(
    browser: Browser, reading_department: WebDepartment, javascript: bool, report: Report
) -> AsyncIterator[Visitor]:
    opened = await Visitor.open(browser, reading_department.base_url, javascript, report)
    try:
        yield opened
    finally:
        await opened.close()


async def test_the_reading_beside_the_typed_line_and_the_return_filled_in(
    caseworker: Visitor,
    reading_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = reading_department.department
    obligation_id = department.obligation_id("filer-a")
    till = make_receipt("till", date.fromisoformat(department.day(2)), seed=7)
    line = {
        "date": till.date.isoformat(),
        "amount_pence": till.total_pence * 10,
        "currency": "GBP",
        "payee": till.payee,
        "category": "office",
    }
    filed = await submit(intake, department.id, obligation_id, [line], [till.content])
    assert filed.status_code == 202, filed.text

    async def held() -> bool | None:
        body = (
            await cycles.get(f"/departments/{department.id}/obligations/{obligation_id}")
        ).json()
        return True if "held for a caseworker" in latest_history_entry(body)["detail"] else None

    await eventually(held, timeout_s=240, what="the return to be held for a caseworker")

    page = caseworker.page
    await caseworker.sign_in(reading_department.user("caseworker"), reading_department.password)
    await caseworker.goto(f"/queue/{obligation_id}")
    total = f"£{till.total_pence // 100:,}.{till.total_pence % 100:02d}"
    await expect(page.get_by_text("Amount not on the receipt")).to_be_visible()
    card = page.locator(".app-reading")
    await expect(card).to_contain_text(f"{total}, not the")
    await expect(card.locator(".app-reading-mark--total")).to_have_text(total)
    await caseworker.check("Caseworker: a receipt's reading beside its line")

    await page.get_by_role("button", name="Return to filer").click()
    # The reasons are radios (since the return form's Other with details): the flag's
    # reason comes chosen.
    reasons = page.get_by_role("group", name="Reason for returning receipt 1")
    flagged = reasons.get_by_label("Amount not on the receipt", exact=True)
    await expect(flagged).to_be_checked()
    await expect(flagged).to_have_attribute("value", "AMOUNT_NOT_ON_RECEIPT")
    note = page.get_by_label("Note for the filer about receipt 1")
    await expect(note).to_have_value(
        re.compile(f"^The receipt is for {re.escape(total)}, not the ")
    )
    await caseworker.check("Caseworker: return filled in from the reading")
    await page.locator("#receipt-1-decision-2").check()
    await page.get_by_role("button", name="Return to filer").click()
    await expect(page.locator(".govuk-notification-banner")).to_be_visible()

    returned = await obligation_in_status(cycles, department.id, obligation_id, "returned")
    submission = (
        await intake.get(f"/departments/{department.id}/submissions/{returned['submission_id']}")
    ).json()
    [reason] = submission["versions"][0]["receipts"][0]["return_reasons"]
    assert reason["code"] == "AMOUNT_NOT_ON_RECEIPT"
    assert reason["message"].startswith(f"The receipt is for {total}, not the ")
