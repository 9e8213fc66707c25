"""What the tests of the web service in process share: the password of their accounts,
the CSRF token a page's form carries, and the problems a form found, by field."""

import re

from cabinet_web.forms import Problems

PASSWORD = "correct horse battery"


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrftoken" value="([^"]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def messages(problems: Problems) -> dict[str, str]:
    return {item["href"].removeprefix("#"): item["text"] for item in problems.summary()}
