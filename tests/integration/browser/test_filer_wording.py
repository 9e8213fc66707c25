"""What a filer reads on the confirmation page (issue 12 items 3 and 6): one reference, the
12-digit one, before and after a refresh, with the page's title and heading naming the
state in the same words; and a return held for a caseworker says a person is checking it
and when to expect an answer, with no "Refresh this page"."""

import re

import httpx
from playwright.async_api import Page, expect

from cabinet_web.journey.confirmation import HELD_CHECK_WORKING_DAYS
from tests import receipt_files
from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.browser.steps import Receipt, acknowledgement, file_a_return
from tests.integration.browser.test_caseworker import hold_for_a_caseworker

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
REFERENCE = re.compile(r"^\d{12}$")
NO_REFERENCE_YET = "You will get your reference number when your return is accepted"


async def heading_is_the_title(page: Page) -> str:
    """The page's h1 and its title name the state in the same words; returns the h1."""
    heading = (await page.get_by_role("heading", level=1).inner_text()).strip()
    assert await page.title() == f"{heading} – Cabinet"
    return heading


async def shown_reference(page: Page) -> str | None:
    """The one reference the confirmation page shows (None before acceptance), after
    checking that nothing else on the page looks like one."""
    text = await page.locator("body").inner_text()
    assert not UUID.search(text), text
    assert not UUID.search(await page.title())
    heading = await heading_is_the_title(page)
    panel = page.locator(".govuk-panel")
    strong = panel.locator(".govuk-panel__body strong")
    if not await strong.count():
        assert heading in ("Return sent", "Return accepted"), heading
        await expect(panel).to_contain_text(NO_REFERENCE_YET)
        assert not re.search(r"\d{12}", text), text
        return None
    reference = (await strong.inner_text()).strip()
    assert REFERENCE.match(reference), reference
    assert heading == "Return accepted"
    # The same 12 digits in the summary list, and no other number that long.
    assert set(re.findall(r"\d{12,}", text)) == {reference}, text
    row = page.locator(".govuk-summary-list__row", has_text="Acknowledgement reference")
    await expect(row.locator("dd")).to_have_text(reference)
    return reference


async def test_the_confirmation_shows_one_twelve_digit_reference_before_and_after_a_refresh(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    department = web_department.department
    page = visitor.page
    taxi = Receipt("Taxi Co", "12.34", receipt_files.pdf(f"fare {department.id}"), "fare.pdf")
    await file_a_return(visitor, web_department, "filer-a", [taxi])
    await expect(page).to_have_url(re.compile(r"/confirmation$"))
    first = await shown_reference(page)
    await page.reload()
    second = await shown_reference(page)
    if first is not None:
        assert second == first

    reference = await acknowledgement(visitor)
    for _ in range(2):  # shown as issued, then after a refresh
        await page.reload()
        assert await shown_reference(page) == reference
    await expect(page.get_by_role("heading", level=1)).to_have_text("Return accepted")
    await visitor.check("Confirmation, one reference")


async def test_a_held_return_says_a_person_is_checking_it_and_when_to_expect_an_answer(
    visitor: Visitor,
    web_department: WebDepartment,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
) -> None:
    department = web_department.department
    held = await hold_for_a_caseworker(department, intake, cycles)
    page = visitor.page
    await visitor.sign_in(web_department.user("filer-b"), web_department.password)
    await visitor.goto("/returns")
    await page.get_by_role("link", name=re.compile(r"^View what was sent")).click()
    await expect(page).to_have_url(re.compile(f"/{held}/confirmation$"))
    for _ in range(2):  # as opened, then after a refresh
        assert await heading_is_the_title(page) == "A person is checking your return"
        main = page.locator("main")
        await expect(main).to_contain_text(
            "A person at the department is checking your return before it can be accepted."
        )
        await expect(main).to_contain_text(
            f"You should get an answer within {HELD_CHECK_WORKING_DAYS} working days."
        )
        await expect(page.locator(".govuk-panel")).to_contain_text(NO_REFERENCE_YET)
        text = await page.locator("body").inner_text()
        assert "refresh" not in text.lower(), text
        assert not UUID.search(text), text
        await page.reload()
    await visitor.check("Confirmation, held for a person")
