"""A possible duplicate, as the caseworker pages show it (issue 12, item 5), in process over
fake intake, cycles and receipts APIs: the flagged receipt is marked and links to a
side-by-side comparison with the receipt it looks like (the other filer's return named,
linked and its file shown), from which the return is accepted or the receipt returned
with the normal CSRF-protected forms; another department's receipt is not found."""

import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.unit import test_web_backend_answers as backend
from tests.unit.test_web_backend_answers import (
    RECEIPT,
    VERSION,
    FakeServices,
    Obligation,
    a_held_return,
    sign_in,
)
from tests.unit.web_support import csrf_token

# The fake intake, cycles and receipts, and the web service in process over them.
services = backend.services
web = backend.web

RECEIPTS = "127.0.0.1"  # the web service's default receipts API address, faked
FLAG = {
    "code": "POSSIBLE_DUPLICATE",
    "message": "The receipt from Taxi Co for £43.21 dated 3 November 2026 looks like one sent "
    "before: a person will check it is not the same expense",
    "field_id": None,
}
TAXI = {
    **RECEIPT,
    "receipt_id": "r-2",
    "file_name": "taxi.png",
    "media_type": "image/png",
    "payee": "Taxi Co",
    "amount_pence": 4321,
    "category": "travel",
    "flags": [FLAG],
}
THEIR_TAXI = {**TAXI, "receipt_id": "a-1", "file_name": "their-taxi.pdf", "flags": []}
THEIR_TAXI["media_type"] = "application/pdf"


def held_with_a_possible_duplicate(services: FakeServices, flagged_too: bool = False) -> None:
    """filer-a's return ob-1 holds a stationery receipt and a taxi fare like filer-b's
    accepted ob-2's; with `flagged_too`, the stationery receipt is flagged as well."""
    stationery = {**RECEIPT, "flags": [FLAG] if flagged_too else []}
    a_held_return(services, Obligation({}, {}))
    services.json(
        "intake",
        "/submissions/s-1",
        {
            "submission_id": "s-1",
            "current_version": 1,
            "versions": [{**VERSION, "receipts": [stationery, TAXI]}],
        },
    )
    services.json(
        RECEIPTS,
        "/receipts/r-2/lookalikes",
        {
            "receipt_id": "r-2",
            "obligation_id": "ob-1",
            "lookalikes": [{"receipt_id": "a-1", "obligation_id": "ob-2"}],
        },
    )
    theirs = Obligation({}, {}).base | {
        "obligation_id": "ob-2",
        "filer_id": "filer-b",
        "status": "accepted",
        "submission_id": "s-2",
    }
    services.json("cycles", "/obligations/ob-2", theirs)
    services.json("intake", "/obligations/ob-2", {"obligation_id": "ob-2", "submission_id": "s-2"})
    services.json(
        "intake",
        "/submissions/s-2",
        {
            "submission_id": "s-2",
            "current_version": 1,
            "versions": [{**VERSION, "receipts": [THEIR_TAXI]}],
        },
    )


COMPARE = "/queue/ob-1/receipts/r-2/compare"


def test_the_flagged_receipt_is_marked_and_links_to_its_comparison(
    web: TestClient, services: FakeServices
) -> None:
    held_with_a_possible_duplicate(services)
    sign_in(web, "clerk")
    page = web.get("/queue/ob-1").text
    assert page.count("may be a duplicate") == 1  # receipt 2's warning, and no other
    assert 'class="govuk-warning-text app-possible-duplicate"' in page
    assert "Receipt 2 may be a duplicate" in page
    assert f'href="{COMPARE}">Compare receipt 2 with the receipt it looks like</a>' in page
    # The card's own action, named for a screen reader.
    assert 'Compare<span class="govuk-visually-hidden"> with the receipt it looks like' in page


def test_the_comparison_shows_both_receipts_and_whose_they_are(
    web: TestClient, services: FakeServices
) -> None:
    held_with_a_possible_duplicate(services)
    sign_in(web, "clerk")
    response = web.get(COMPARE)
    assert response.status_code == 200, response.text
    page = response.text
    title = "Compare receipt 2 with the receipt it looks like"
    assert f'<h1 class="govuk-heading-l">{title}</h1>' in page
    assert "This receipt: receipt 2 of this return" in page
    assert "The receipt it looks like: receipt 1 of filer-b&#39;s return" in page
    assert 'href="/queue/ob-2">View filer-b\'s return</a>' in page
    # Each file shown, from its own return's route.
    assert 'src="/queue/ob-1/receipts/r-2/file"' in page
    assert 'src="/queue/ob-2/receipts/a-1/file"' in page
    assert page.count("Taxi Co") >= 2 and page.count("£43.21") >= 2
    assert page.count("3 November 2026") >= 2
    # The decision, both ways, each a CSRF-protected POST to the usual route.
    assert 'action="/queue/ob-1/accept"' in page
    assert 'action="/queue/ob-1/return"' in page
    assert page.count('name="csrftoken"') == 2
    assert '<input type="hidden" name="receipt-1-decision" value="accept">' in page
    assert '<input type="hidden" name="receipt-2-decision" value="return">' in page
    # A person's reasons beside the checks', and Other revealing its details.
    for words in ("Does not support the claim", "Illegible", "Other (give details)"):
        assert words in page
    assert 'data-aria-controls="conditional-receipt-2-reason' in page
    assert 'id="receipt-2-details"' in page
    assert ('value="POSSIBLE_DUPLICATE" checked') in page


def test_returning_the_receipt_from_the_comparison_keeps_the_others(
    web: TestClient, services: FakeServices
) -> None:
    held_with_a_possible_duplicate(services)
    sent: list[dict[str, Any]] = []

    def returned(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "returned"})

    services.route("POST", "cycles", "/obligations/ob-1/return", returned)
    sign_in(web, "clerk")
    token = csrf_token(web.get(COMPARE).text)
    response = web.post(
        "/queue/ob-1/return",
        data={
            "csrftoken": token,
            "version": "1",
            "receipt-1-decision": "accept",
            "receipt-2-decision": "return",
            "receipt-2-reason": "OTHER",
            "receipt-2-details": "Your business partner claimed this fare.",
            "receipt-2-note": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    [body] = sent
    assert body["receipts"] == [
        {
            "receipt_id": "r-2",
            "reasons": [{"code": "OTHER", "message": "Your business partner claimed this fare."}],
        }
    ]


def test_other_without_details_is_an_error_on_the_return_form(
    web: TestClient, services: FakeServices
) -> None:
    held_with_a_possible_duplicate(services)
    sign_in(web, "clerk")
    token = csrf_token(web.get(COMPARE).text)
    response = web.post(
        "/queue/ob-1/return",
        data={
            "csrftoken": token,
            "version": "1",
            "receipt-1-decision": "accept",
            "receipt-2-decision": "return",
            "receipt-2-reason": "OTHER",
        },
    )
    assert response.status_code == 400
    page = response.text
    assert "govuk-error-summary" in page
    assert '<a href="#receipt-2-details">Enter details for the filer about receipt 2</a>' in page
    # The choice is kept: Other stays checked, its details revealed with the error.
    assert 'value="OTHER" checked' in page
    assert "govuk-textarea--error" in page


def test_with_another_receipt_to_check_the_return_goes_through_the_whole_form(
    web: TestClient, services: FakeServices
) -> None:
    held_with_a_possible_duplicate(services, flagged_too=True)
    sign_in(web, "clerk")
    page = web.get(COMPARE).text
    assert 'action="/queue/ob-1/return"' not in page
    assert 'href="/queue/ob-1/return?receipt=2"' in page
    assert "Receipt 1 also has something for you to check" in page
    form = web.get("/queue/ob-1/return?receipt=2").text
    assert 'name="receipt-2-decision" type="radio" value="return" checked' in form


def test_a_receipt_not_of_this_return_or_department_is_not_found(
    web: TestClient, services: FakeServices
) -> None:
    held_with_a_possible_duplicate(services)
    sign_in(web, "clerk")
    assert web.get("/queue/ob-1/receipts/a-1/compare").status_code == 404
    assert web.get("/queue/ob-9/receipts/r-2/compare").status_code == 404


def test_a_filer_cannot_open_a_comparison(web: TestClient, services: FakeServices) -> None:
    held_with_a_possible_duplicate(services)
    sign_in(web, "filer-1")
    response = web.get(COMPARE)
    assert response.status_code in (403, 404)
    assert "filer-b" not in response.text
