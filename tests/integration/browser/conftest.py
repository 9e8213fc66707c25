"""Browser fixtures: Debian's Chromium, a fresh department with web accounts for its
filers and staff, and visitors with JavaScript on or off."""

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from cabinet_devstack.stack import Stack
from cabinet_devstack.web_accounts import DEMO_PASSWORD, department_accounts, save_accounts
from tests.integration.browser.browser_support import CHROMIUM, Report, Visitor
from tests.integration.conftest import Department, seeded_department


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    checked = Report()
    yield checked
    checked.write()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


class WebDepartment:
    """A seeded department whose filers and staff can sign in: filer-a signs in as
    `<department>.filer-a`, its caseworker as `<department>.caseworker`."""

    password = DEMO_PASSWORD

    def __init__(self, department: Department, base_url: str) -> None:
        self.department = department
        self.base_url = base_url

    def user(self, name: str) -> str:
        return f"{self.department.id}.{name}"


@pytest.fixture
def web_department(stack: Stack, department: Department) -> WebDepartment:
    accounts = department_accounts(list(department.obligations), prefix=f"{department.id}.")
    save_accounts(stack.config.process_env("web")["CABINET_DATABASE_URL"], department.id, accounts)
    return WebDepartment(department, stack.config.url("web"))


@pytest.fixture
def other_department(stack: Stack) -> Department:
    """A second department, whose records the first one's users must never reach."""
    return seeded_department(stack)


@pytest.fixture(params=[False, True], ids=["js-off", "js-on"])
def javascript(request: pytest.FixtureRequest) -> bool:
    enabled: bool = request.param
    return enabled


@pytest.fixture
async def visitor(
    browser: Browser, web_department: WebDepartment, javascript: bool, report: Report
) -> AsyncIterator[Visitor]:
    opened = await Visitor.open(browser, web_department.base_url, javascript, report)
    try:
        yield opened
    finally:
        await opened.close()
