"""Staff who open a page for another role are told they have no access to it (403), not
"Page not found"; a filer still gets "Page not found" for staff pages (test_paper_and_
filer_pages), which reveals nothing about them."""

from playwright.async_api import expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment


async def test_an_operator_opening_the_queue_is_told_they_have_no_access(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    await visitor.sign_in(web_department.user("operator"), web_department.password)
    for caseworker_page in ("/queue", "/paper"):
        response = await visitor.goto(caseworker_page)
        assert response.status == 403, caseworker_page
        await expect(visitor.page.get_by_role("heading", level=1)).to_have_text(
            "You do not have access to this page"
        )
    await visitor.check("No access")
    await visitor.page.get_by_role("link", name="Go to your start page").click()
    await expect(visitor.page.get_by_role("heading", level=1)).not_to_have_text(
        "You do not have access to this page"
    )
