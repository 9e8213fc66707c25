"""What every journey page shares: the return named in the URL (a route dependency),
rendering with the return's context, redirects, and problems whose summary links lead to
another page (check answers links to questions)."""

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.responses import HTMLResponse

from cabinet_common.service import DbSession
from cabinet_web.answers_form import reference_name
from cabinet_web.backend import Apis
from cabinet_web.forms import Problems
from cabinet_web.journey.filing import Filing, load_filing
from cabinet_web.journey.lane import Lane
from cabinet_web.sessions import CurrentUser
from cabinet_web.templating import render


class SeeOther(Exception):
    """Raised for a page the user cannot use now; the app answers 303 to url instead."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@dataclass(frozen=True)
class FilingDependencies:
    """A lane's route dependencies for the return under {obligation_id}, for
    `filing: Annotated[Filing, deps.opened]` (any state) or `deps.sendable` (one that can
    still be changed and sent; otherwise the page redirects to the confirmation)."""

    opened: Any
    sendable: Any


def filing_dependencies(lane: Lane) -> FilingDependencies:
    async def opened(
        obligation_id: str,
        user: Annotated[CurrentUser, lane.signed_in],
        apis: Apis,
        session: DbSession,
    ) -> Filing:
        return await load_filing(apis, session, lane, user, obligation_id)

    async def sendable(filing: Annotated[Filing, Depends(opened)]) -> Filing:
        return ensure_sendable(filing)

    return FilingDependencies(opened=Depends(opened), sendable=Depends(sendable))


@dataclass
class LinkedProblems(Problems):
    """Problems whose summary links may lead elsewhere (by default to #field_id)."""

    _hrefs: dict[str, str] = field(default_factory=dict)

    def link(self, key: str, message: str, href: str) -> None:
        if key not in self._hrefs:
            self._hrefs[key] = href
        self.add(key, message)

    def summary(self) -> list[dict[str, str]]:
        return [
            {"text": item["text"], "href": self._hrefs.get(item["href"][1:], item["href"])}
            for item in super().summary()
        ]


def journey_page(
    request: Request,
    filing: Filing,
    template: str,
    title: str,
    problems: Problems | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        template,
        {
            "title": title,
            "section": filing.lane.section,
            "problems": problems,
            "filing": filing,
            "reference_name": reference_name,
            **context,
        },
        status_code=status_code,
    )


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def ensure_sendable(filing: Filing) -> Filing:
    """The return, if it can still be changed and sent; otherwise SeeOther its
    confirmation page (where a page that changes the return goes instead)."""
    if not filing.can_send:
        raise SeeOther(f"{filing.base}/confirmation")
    return filing


def question_url(filing: Filing, page_id: str, from_check: bool = False) -> str:
    return f"{filing.base}/questions/{page_id}" + ("?from=check" if from_check else "")
