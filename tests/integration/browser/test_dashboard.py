"""The operator's dashboard: the quarter's obligations by status as a chart and the same
figures in a table, each status leading to the obligations in it, the overdue list, and
the links to Temporal's Web UI."""

from playwright.async_api import expect

from tests.integration.browser.browser_support import Visitor
from tests.integration.browser.conftest import WebDepartment
from tests.integration.conftest import Department


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


async def test_a_status_count_leads_to_the_obligations_behind_it(
    visitor: Visitor, web_department: WebDepartment, other_department: Department
) -> None:
    """The count's status links to its obligations in the operator's department only (the
    other department's three open obligations are not listed), at 375 px too."""
    page = visitor.page
    await visitor.narrow()
    await visitor.sign_in(web_department.user("operator"), web_department.password)
    period = web_department.department.period.key
    await visitor.check_fits("Dashboard at 375 px")
    table = page.get_by_role("table", name=f"Obligations by status, VAT return, {period}")
    await table.get_by_role("link", name="Not filed").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not filed")
    await expect(page.locator("main")).to_contain_text("3 obligations are in this status")
    listed = page.get_by_role("table", name=f"Not filed, VAT return, {period}")
    rows = listed.locator("tbody tr")
    await expect(rows).to_have_count(3)
    for name, filer_id in (("Filer A", "filer-a"), ("Filer B", "filer-b"), ("Filer C", "filer-c")):
        row = rows.filter(has=page.get_by_role("rowheader", name=name, exact=True))
        await expect(row).to_contain_text(filer_id)
        await expect(row).to_contain_text("Not filed")
        link = row.get_by_role("link", name=f"Workflow for {name}")
        assert (await link.get_attribute("href") or "").startswith("http://127.0.0.1:")
    await visitor.check_fits("Obligations in one status at 375 px")
    await page.get_by_role("link", name="Back to the dashboard").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    nonsense = await visitor.goto(
        f"/dashboard/obligations?form-type=vat-return&period={period}&status=lost"
    )
    assert nonsense.status == 404
    elsewhere = await visitor.goto(
        "/dashboard/obligations?form-type=nope&period=2026-Q1&status=open"
    )
    assert elsewhere.status == 404
