"""What every journey page shares: rendering with the return's context, redirects, and
problems whose summary links lead to another page (check answers links to questions)."""

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.responses import HTMLResponse

from cabinet_web.answers_form import reference_name
from cabinet_web.forms import Problems
from cabinet_web.journey.filing import Filing
from cabinet_web.templating import render


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


def unless_sendable(filing: Filing) -> Response | None:
    """Where to go instead of a page that changes the return, once it cannot be sent."""
    if filing.can_send:
        return None
    return see_other(f"{filing.base}/confirmation")


def question_url(filing: Filing, page_id: str, from_check: bool = False) -> str:
    return f"{filing.base}/questions/{page_id}" + ("?from=check" if from_check else "")
