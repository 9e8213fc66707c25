"""The page checks every browser test relies on can fail: a page that breaks Cabinet's
Content-Security-Policy, or asks another host for anything, fails its check."""

import pytest
from playwright.async_api import Route

from tests.integration.browser.browser_support import Visitor

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Probe</title></head>
<body><main>{}</main></body></html>"""
INLINE_STYLE_AND_SCRIPT = PAGE.format(
    '<h1 style="color: red">Probe</h1><script>document.title = "ran";</script>'
)
ANOTHER_HOSTS_IMAGE = PAGE.format('<h1>Probe</h1><img src="http://192.0.2.1/pixel.png" alt="">')


async def serve_with_cabinets_policy(visitor: Visitor, route: Route) -> None:
    """A page with inline style and script at a Cabinet address, with Cabinet's headers."""
    real = await visitor.page.request.get("/sign-in")
    await route.fulfill(
        body=INLINE_STYLE_AND_SCRIPT, content_type="text/html", headers=real.headers
    )


async def test_a_csp_violation_fails_the_page_check(visitor: Visitor) -> None:
    await visitor.page.route(
        "**/csp-probe", lambda route: serve_with_cabinets_policy(visitor, route)
    )
    await visitor.goto("/csp-probe")
    with pytest.raises(AssertionError, match="CSP violations"):
        await visitor.check("CSP probe")
    assert await visitor.page.title() == "Probe"  # the inline script did not run


async def test_a_request_to_another_host_fails_the_page_check(visitor: Visitor) -> None:
    await visitor.page.route(
        "**/host-probe",
        lambda route: route.fulfill(body=ANOTHER_HOSTS_IMAGE, content_type="text/html"),
    )
    await visitor.page.route("http://192.0.2.1/**", lambda route: route.abort())
    await visitor.goto("/host-probe")
    with pytest.raises(AssertionError, match="requests to another host"):
        await visitor.check("Host probe")
