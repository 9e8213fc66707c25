"""The operator's dead-letter page: a filing stranded by a dead-lettered event is listed
under its topic with its reason and age, and its Re-drive button (a plain form, so it
works with JavaScript off) sends it back, after which the filing is acknowledged."""

import httpx
from playwright.async_api import expect

from cabinet_common.events import Topic
from cabinet_devstack.stack import Stack
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.helpers import obligation_in_status
from tests.integration.stranding import strand_a_filing


async def test_an_operator_re_drives_a_dead_letter_and_the_filing_is_acknowledged(
    stack: Stack, visitor: Visitor, web_department: WebDepartment
) -> None:
    department = web_department.department
    obligation_id = await strand_a_filing(stack, department, "filer-a")
    page = visitor.page
    await visitor.sign_in(web_department.user("operator"), web_department.password)
    await visitor.goto("/dead-letters")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dead letters")

    topic = Topic.RECEIPTS_CHECKED.value
    table = page.get_by_role("table", name=f"Dead letters of {topic}")
    row = table.get_by_role("row").filter(has_text=obligation_id)
    await expect(row).to_contain_text("cabinet.receipts.v1.ReceiptsChecked")
    await expect(row).to_contain_text("tcp connect error")
    await expect(row).to_contain_text("under a minute")
    await visitor.check("Dead letters")

    await row.get_by_role("button", name="Re-drive").click()
    await expect(page.get_by_text("1 event was sent back to be processed again.")).to_be_visible()
    await expect(page.get_by_text("There are no dead letters.")).to_be_visible()
    async with httpx.AsyncClient(
        base_url=stack.config.url("cycles"), timeout=30, headers=stack.config.machine_auth()
    ) as cycles:
        await obligation_in_status(cycles, department.id, obligation_id, "accepted")
