"""The operator's dashboard: the quarter's obligations by status as a chart and the same
figures in a table, the overdue list, and the links to Temporal's Web UI."""

from playwright.async_api import expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment


async def test_an_operator_sees_the_quarter_at_a_glance(
    visitor: Visitor, web_department: WebDepartment
) -> None:
    page = visitor.page
    await visitor.sign_in(web_department.user("operator"), web_department.password)
    await expect(page).to_have_url(f"{web_department.base_url}/dashboard")
    period = web_department.department.period.key
    await expect(page.get_by_role("heading", level=2, name=f"VAT return, {period}")).to_be_visible()

    chart = page.get_by_role("img", name=f"Obligations by status, VAT return, {period}")
    await expect(chart).to_be_visible()
    table = page.get_by_role("table", name=f"Obligations by status, VAT return, {period}")
    # Three filers, none has filed yet: all three are "Not filed".
    await expect(table.get_by_role("row", name="Not filed 3 100%")).to_be_visible()
    await expect(table.get_by_role("row", name="Total 3 100%")).to_be_visible()
    overdue = f"No returns are overdue or escalated in VAT return, {period}."
    await expect(page.get_by_text(overdue)).to_be_visible()
    quarter = page.get_by_role(
        "link", name=f"Quarter workflow for VAT return, {period} in Temporal"
    )
    assert (await quarter.get_attribute("href") or "").startswith("http://127.0.0.1:")
    await visitor.check("Dashboard")

    await page.get_by_role("button", name="Show period").click()
    await expect(table).to_be_visible()


async def test_a_filer_has_no_dashboard(visitor: Visitor, web_department: WebDepartment) -> None:
    await visitor.sign_in(web_department.user("filer-a"), web_department.password)
    response = await visitor.goto("/dashboard")
    assert response.status == 404
    await expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Page not found")
