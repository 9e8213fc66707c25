"""The lists of returns offer the action that fits each obligation."""

import pytest

from cabinet_web.journey.definitions import period_words
from cabinet_web.journey.lane import FILER, PAPER
from cabinet_web.journey.listing import _row


def obligation(status: str, submission_id: str | None = None) -> dict[str, str | None]:
    return {
        "obligation_id": "ob-1",
        "filer_id": "filer-a",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "status": status,
        "submission_id": submission_id,
    }


@pytest.mark.parametrize(
    ("status", "submission_id", "draft", "action", "href", "saved"),
    [
        ("open", None, False, "Start", "/returns/ob-1", False),
        ("open", None, True, "Continue", "/returns/ob-1", True),
        ("overdue", None, True, "Continue", "/returns/ob-1", True),
        ("returned", "s", True, "View returned reasons and correct", "/returns/ob-1", True),
        ("checking", "s", False, "View what was sent", "/returns/ob-1/confirmation", False),
        # Cycles has heard of the submission before its status changed: nothing to start.
        ("open", "s", True, "View what was sent", "/returns/ob-1/confirmation", False),
        ("accepted", "s", False, "View acknowledgement", "/returns/ob-1/confirmation", False),
        ("waived", None, False, "", "", False),
    ],
)
def test_filer_actions(
    status: str, submission_id: str | None, draft: bool, action: str, href: str, saved: bool
) -> None:
    row = _row(FILER, obligation(status, submission_id), "VAT return", draft)
    assert (row.action, row.href, row.draft_saved) == (action, href, saved)
    assert row.title == "VAT return for October to December 2026"


def test_paper_actions() -> None:
    assert _row(PAPER, obligation("open"), "VAT return", False).action == "Key in a paper return"
    assert _row(PAPER, obligation("open"), "VAT return", True).action == "Continue keying"
    returned = _row(PAPER, obligation("returned", "s"), "VAT return", False)
    assert (returned.action, returned.href) == ("Key in a corrected return", "/paper/ob-1")


def test_periods_as_people_say_them() -> None:
    assert period_words("2026-10-01", "2026-12-31") == "October to December 2026"
    assert period_words("2026-12-01", "2027-02-28") == "December 2026 to February 2027"
    assert period_words("2026-03-01", "2026-03-31") == "March 2026"
