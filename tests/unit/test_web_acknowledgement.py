"""Issue 12 item 4: the filer's acknowledgement page, rendered in the service's layout:
plain English, dates in words, the 12-digit reference, what was declared, the receipts
sent, a way back, printable, and the signed document linked for download."""

import re
from typing import Any

from cabinet_web.accounts import Role
from cabinet_web.journey.confirmation import acknowledged_version, declared_rows
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import FILER
from cabinet_web.sessions import CurrentUser
from cabinet_web.templating import templates
from tests.unit.form_type_examples import example

USER = CurrentUser("filer-a", "Filer A", Role.FILER, "demo", "filer-a")
ACKNOWLEDGEMENT = {
    "document": "cabinet.acknowledgement.v1",
    "reference": "123456789015",
    "processed_at": "2027-02-07T14:05:00.000000Z",
    "version": 2,
    "submission_id": "sub-1",
    "submission_sha256": "ab" * 32,
    "obligation": {"obligation_id": "ob-1"},
    "signature": {"algorithm": "Ed25519", "key_id": "k", "value": "v"},
}
SENT = {
    "version": 2,
    "submitted_at": "2027-02-07T14:00:00+00:00",
    "channel": "online",
    "answers": {
        "cost_centre": "policy",
        "travel_total": "43.21",
        "subsistence_total": "0",
        "office_total": "0",
        "claim_total": "43.21",
        "declaration": "yes",
    },
    "receipts": [
        {
            "receipt_id": "r-1",
            "date": "2027-01-03",
            "payee": "Taxi Co",
            "amount_pence": 4321,
            "category": "travel",
            "file_name": "taxi.pdf",
        }
    ],
}


def accepted(latest: dict[str, Any]) -> Filing:
    return Filing(
        lane=FILER,
        user=USER,
        obligation={
            "obligation_id": "ob-1",
            "filer_id": "filer-a",
            "form_type_id": "expenses",
            "period_key": "FY2026-Q3",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "due_date": "2027-01-31",
            "status": "accepted",
            "history": [],
        },
        submission_id="sub-1",
        acknowledgement_reference="123456789015",
        form_type_version=1,
        definition=example("expenses"),
        latest=latest,
        draft=None,
        filer_name="Filer A",
    )


def page(filing: Filing) -> str:
    sent = acknowledged_version(filing, ACKNOWLEDGEMENT)
    return templates.env.get_template("returns/acknowledgement.html").render(
        title="Acknowledgement",
        filing=filing,
        user=USER,
        section="returns",
        acknowledgement=ACKNOWLEDGEMENT,
        sent=sent,
        answer_rows_of=declared_rows(filing, sent) if sent else [],
        receipts_total=4321,
    )


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_acknowledgement_lists_what_was_declared_and_the_receipts() -> None:
    html = page(accepted(SENT))
    words = text(html)
    assert "Acknowledgement of your return" in words
    assert "123456789015" in words
    assert "7 February 2027 at 2:05pm" in words  # not 2027-02-07T14:05
    assert not re.search(r"\d{4}-\d\d-\d\dT", words)
    assert "Total spent on travel £43.21" in words
    assert "Which cost centre should pay this claim? policy" in words
    assert "Confirmed" in words
    assert "3 January 2027 Taxi Co £43.21" in words
    # A way back, the signed document and the PDF, nav hidden when printed.
    assert 'href="/returns/ob-1/confirmation"' in html
    assert 'href="/returns/ob-1/acknowledgement.json"' in html
    assert 'href="/returns/ob-1/acknowledgement.pdf"' in html
    assert "govuk-!-display-none-print" in html
    assert "POST /" not in words and "sub-1" not in words


def test_another_version_than_the_acknowledged_one_shows_no_figures() -> None:
    words = text(page(accepted({**SENT, "version": 3})))
    assert "123456789015" in words
    assert "£43.21" not in words
    assert "not available just now" in words


def test_the_footer_is_inside_the_footer_landmark_and_not_printed() -> None:
    # Issue 12: axe's footer-landmark violation: the layout replaced the template's
    # <footer> (contentinfo) with a bare div; now it fills the govukFooter block inside it.
    html = templates.env.get_template("accessibility.html").render(title="Accessibility")
    footer = re.search(r"<footer class=\"govuk-template__footer([^\"]*)\".*?</footer>", html, re.S)
    assert footer is not None
    assert "govuk-!-display-none-print" in footer.group(1)
    assert 'class="govuk-footer' in footer.group(0)
    assert 'href="/accessibility"' in footer.group(0)
