"""Driving Cabinet's web pages in Debian's Chromium (never a downloaded browser) and
checking each page as it is shown: axe-core at WCAG 2.2 AA, no Content-Security-Policy
violation, no request to another host, no broken asset, and a screenshot kept as a test
artefact."""

import json
import re
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[3] / "services/web/node_modules/axe-core/axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe's landmark rules are tagged best-practice, not WCAG, so the WCAG run left them out
# (the footer outside every landmark went unreported): they run too.
LANDMARK_RULES = [
    "region",
    "landmark-one-main",
    "landmark-contentinfo-is-top-level",
    "landmark-banner-is-top-level",
    "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-banner",
    "landmark-unique",
]
ARTEFACTS = Path("test-artifacts") / "browser"
SCREENSHOTS = Path("test-artifacts") / "screenshots"
# A small phone's width in CSS pixels (issue 12: pages must not overflow at 375 px).
NARROW = 375


@dataclass
class PageCheck:
    name: str
    javascript: bool
    url: str
    title: str
    violations: list[dict[str, Any]]
    rules_passed: int

    def as_json(self) -> dict[str, Any]:
        return {
            "page": self.name,
            "javascript": "on" if self.javascript else "off",
            "url": self.url,
            "title": self.title,
            "axe_rules_passed": self.rules_passed,
            "axe_violations": [
                {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])}
                for v in self.violations
            ],
        }


@dataclass
class Report:
    """Every page that passed its check in the run, with axe's result, written to
    test-artifacts/browser/axe-results.json (a failed check fails its test instead)."""

    checks: list[PageCheck] = field(default_factory=list)

    def write(self) -> None:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTS / "axe-results.json").write_text(
            json.dumps([c.as_json() for c in self.checks], indent=2) + "\n"
        )


class Visitor:
    """One person's browser (a context of its own, JavaScript on or off) on Cabinet's web
    origin, recording what every page they see asks of the network and the console."""

    def __init__(
        self, context: BrowserContext, page: Page, base_url: str, javascript: bool, report: Report
    ) -> None:
        self.context = context
        self.page = page
        self.base_url = base_url
        self.javascript = javascript
        self._report = report
        self._origin = urlsplit(base_url).netloc
        self.requests: list[str] = []
        self.console: list[str] = []
        self.failed_assets: list[str] = []
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("response", self._on_response)

    @classmethod
    async def open(
        cls, browser: Browser, base_url: str, javascript: bool, report: Report
    ) -> "Visitor":
        context = await browser.new_context(
            base_url=base_url,
            java_script_enabled=javascript,
            viewport={"width": 1024, "height": 800},
        )
        context.set_default_timeout(15_000)
        return cls(context, await context.new_page(), base_url, javascript, report)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.failed_assets.append(f"{response.status} {response.url}")

    async def close(self) -> None:
        await self.context.close()

    async def goto(self, path: str) -> Response:
        response = await self.page.goto(path)
        assert response is not None
        return response

    async def sign_in(self, user_id: str, password: str) -> None:
        await self.goto("/sign-in")
        await self.page.get_by_label("User ID").fill(user_id)
        await self.page.get_by_label("Password", exact=True).fill(password)
        await self.page.get_by_role("button", name="Sign in").click()

    async def check(self, name: str) -> PageCheck:
        """Check the page now shown; fail on anything wrong with it."""
        page = self.page
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        mode = "js-on" if self.javascript else "js-off"
        ARTEFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
        shot = ARTEFACTS / "screenshots" / f"{slug}-{mode}.png"
        await page.screenshot(path=shot, full_page=True)
        # Issue 12's closing note points at test-artifacts/screenshots/ (the pages "after").
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / shot.name)
        axe = await self._axe()
        violations = axe["violations"]
        check = PageCheck(
            name, self.javascript, page.url, await page.title(), violations, len(axe["passes"])
        )
        # Network requests only: the browser's own PDF viewer loads chrome:// resources.
        elsewhere = [
            u
            for u in self.requests
            if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).netloc != self._origin
        ]
        csp = [m for m in self.console if "Content Security Policy" in m]
        assert not elsewhere, f"{name}: requests to another host: {elsewhere}"
        assert not csp, f"{name}: CSP violations: {csp}"
        assert not self.failed_assets, f"{name}: assets that failed: {self.failed_assets}"
        assert not violations, f"{name} ({mode}): axe violations: " + json.dumps(
            check.as_json()["axe_violations"]
        )
        self._report.checks.append(check)
        return check

    async def narrow(self, width: int = NARROW) -> None:
        """Show the pages as a phone would: `width` CSS pixels wide."""
        await self.page.set_viewport_size({"width": width, "height": 800})

    async def check_fits(self, name: str) -> None:
        """check() the page, then that it is no wider than the viewport (nothing to scroll
        sideways: a wide table scrolls in its own wrapper or stacks, text wraps)."""
        await self.check(name)
        measured = await self.overflow()
        assert measured["scroll_width"] <= measured["viewport"], (
            f"{name}: wider than the {measured['viewport']} px screen: {measured}"
        )

    async def overflow(self) -> dict[str, Any]:
        """How wide the page shown is against its viewport: the document's scrollWidth,
        the viewport's width, and the first few elements reaching past its right edge (for
        the message when it does not fit). Measured on a copy, as axe is."""
        return await self._on_copy(_measure_width)

    async def _axe(self) -> dict[str, Any]:
        """axe-core on the page as shown. A page with JavaScript off cannot run axe, nor can
        a sandboxed one (the acknowledgement), so axe runs on a copy: the page's DOM as
        shown, its scripts taken out, loaded at the same address in a JavaScript-on page of
        the same browser (same CSS, same DOM)."""
        return await self._on_copy(_run_axe)

    async def _on_copy(self, run: Callable[[Page], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """`run` on a copy of the page shown (its DOM without scripts, at the same address
        and viewport, in a JavaScript-on page of the same browser)."""
        html = re.sub(r"<script\b.*?</script>", "", await self.page.content(), flags=re.S)
        browser = self.context.browser
        assert browser is not None
        viewport = self.page.viewport_size
        context = await browser.new_context(
            base_url=self.base_url, java_script_enabled=True, viewport=viewport
        )
        try:
            page = await context.new_page()
            url = self.page.url
            await page.route(
                lambda address: address == url,
                lambda route: route.fulfill(body=html, content_type="text/html"),
            )
            await page.goto(url)
            return await run(page)
        finally:
            await context.close()


async def _measure_width(page: Page) -> dict[str, Any]:
    measured: dict[str, Any] = await page.evaluate(
        """() => {
          const viewport = document.documentElement.clientWidth;
          const wide = [...document.body.querySelectorAll("*")]
            .filter(e => e.getBoundingClientRect().right > viewport + 0.5)
            .slice(0, 8)
            .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
              + (typeof e.className === "string" && e.className
                ? "." + e.className.trim().split(/\\s+/).join(".") : ""));
          return {scroll_width: document.documentElement.scrollWidth, viewport, wide};
        }"""
    )
    return measured


async def _run_axe(page: Page) -> dict[str, Any]:
    await page.evaluate(AXE.read_text())
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    landmarks: dict[str, Any] = await page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'rule', values: rules}})", LANDMARK_RULES
    )
    result["violations"] = [*result["violations"], *landmarks["violations"]]
    return result
