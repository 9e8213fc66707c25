"""Targeted resubmission through intake's API in process, on a SQLite file: the return is
learnt from SubmissionReturned, the resubmission keeps the good receipts and replaces the
returned one, FormSubmitted carries the whole version, and the diff says what changed."""

from tests import receipt_files
from tests.unit.intake_support import BASE, Intake, line

OUTSIDE = "The receipt is dated 1 October 2026, outside the period"


async def first_version_returned(intake: Intake) -> tuple[str, str, str]:
    """Version 1 with a good and a bad receipt, the bad one returned."""
    first = await intake.submit([line("2026-08-01", 1000), line("2026-10-01", 500, "Rail")])
    assert first.status_code == 202, first.text
    submission_id = first.json()["submission_id"]
    good, bad = first.json()["receipt_ids"]
    await intake.returned(submission_id, 1, {bad: OUTSIDE})
    return submission_id, good, bad


async def test_the_resubmission_keeps_the_good_receipt_and_replaces_the_returned_one(
    intake: Intake,
) -> None:
    submission_id, good, bad = await first_version_returned(intake)

    second = await intake.submit(
        [line("2026-09-30", 450, "Rail")],
        answers={"box1": "120"},
        declared_total_pence=1450,
        keep_receipt_ids=[good],
    )
    assert second.status_code == 202, second.text
    accepted = second.json()
    assert accepted["submission_id"] == submission_id and accepted["version"] == 2
    assert accepted["receipt_ids"][0] == good and bad not in accepted["receipt_ids"]
    new = accepted["receipt_ids"][1]

    # FormSubmitted for version 2 carries the whole version: the kept receipt as it was.
    v1_event, v2_event = await intake.form_submitted()
    assert v2_event.version == 2 and v2_event.submission_sha256 == accepted["submission_sha256"]
    assert [r.receipt_id for r in v2_event.receipts] == [good, new]
    assert v2_event.receipts[0] == v1_event.receipts[0]
    assert v2_event.declared_total_pence == 1450

    submission = (await intake.client.get(f"{BASE}/submissions/{submission_id}")).json()
    v1, v2 = submission["versions"]
    assert v1["returned"] and v1["returned_at"].startswith("2026-09-02")
    assert v1["return_reasons"] == [
        {"code": "TOTAL_MISMATCH", "message": "Wrong", "field_id": "box1"}
    ]
    assert [(r["receipt_id"], r["returned"]) for r in v1["receipts"]] == [
        (good, False),
        (bad, True),
    ]
    assert v1["receipts"][1]["return_reasons"] == [
        {"code": "DATE_OUTSIDE_PERIOD", "message": OUTSIDE, "field_id": None}
    ]
    assert (
        not v2["returned"] and v2["receipts"][0]["file_sha256"] == v1["receipts"][0]["file_sha256"]
    )

    response = await intake.client.get(
        f"{BASE}/submissions/{submission_id}/diff", params={"from": 1, "to": 2}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["changed"] == [
        {"field": "box1", "before": "100", "after": "120"},
        {"field": "declared_total_pence", "before": 1500, "after": 1450},
    ]
    assert [r["receipt_id"] for r in result["kept"]] == [good]
    assert [(r["receipt_id"], r["returned"]) for r in result["removed"]] == [(bad, True)]
    assert result["removed"][0]["return_reasons"][0]["code"] == "DATE_OUTSIDE_PERIOD"
    assert [(r["receipt_id"], r["date"], r["amount_pence"]) for r in result["added"]] == [
        (new, "2026-09-30", 450)
    ]


async def test_keeping_a_returned_receipt_is_refused_naming_it(intake: Intake) -> None:
    _, good, bad = await first_version_returned(intake)
    refused = await intake.submit([], keep_receipt_ids=[good, bad])
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["receipt_id"], error["code"]) == (bad, "RECEIPT_RETURNED")
    assert f"You cannot keep receipt {bad} (Rail, £5.00, 1 October 2026)" in error["detail"]
    assert OUTSIDE in refused.json()["detail"]


async def test_a_good_receipt_neither_kept_nor_dropped_is_refused(intake: Intake) -> None:
    _, good, _ = await first_version_returned(intake)
    refused = await intake.submit([line("2026-09-30", 450)], keep_receipt_ids=[])
    assert refused.status_code == 422, refused.text
    assert [(e["receipt_id"], e["code"]) for e in refused.json()["errors"]] == [
        (good, "RECEIPT_NOT_KEPT_OR_DROPPED")
    ]
    dropped = await intake.submit([line("2026-09-30", 450)], drop_receipt_ids=[good])
    assert dropped.status_code == 202, dropped.text
    assert len(dropped.json()["receipt_ids"]) == 1


async def test_keeping_on_a_first_submission_is_refused(intake: Intake) -> None:
    refused = await intake.submit([line("2026-08-01", 100)], keep_receipt_ids=["x"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["code"] == "NO_EARLIER_VERSION"


async def test_a_full_resubmission_without_keep_ids_still_replaces_every_receipt(
    intake: Intake,
) -> None:
    _, good, bad = await first_version_returned(intake)
    second = await intake.submit([line("2026-08-01", 1000), line("2026-09-30", 500)])
    assert second.status_code == 202, second.text
    assert second.json()["version"] == 2
    assert not {good, bad} & set(second.json()["receipt_ids"])


async def test_the_same_key_and_body_is_the_same_version_and_a_different_body_a_409(
    intake: Intake,
) -> None:
    _, good, _ = await first_version_returned(intake)
    replacement = receipt_files.pdf("replacement")
    lines = [line("2026-09-30", 450, "Rail")]
    first = await intake.submit(lines, "key-2", [replacement], keep_receipt_ids=[good])
    again = await intake.submit(lines, "key-2", [replacement], keep_receipt_ids=[good])
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    dropped_instead = await intake.submit(lines, "key-2", [replacement], drop_receipt_ids=[good])
    assert dropped_instead.status_code == 409, dropped_instead.text
    assert len(await intake.form_submitted()) == 2


async def test_the_diff_refuses_unknown_and_malformed_versions(intake: Intake) -> None:
    submission_id, _, _ = await first_version_returned(intake)
    url = f"{BASE}/submissions/{submission_id}/diff"
    unknown = await intake.client.get(url, params={"from": 1, "to": 3})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == (
        f"Submission {submission_id} has no version 3 (its versions are 1 to 1)"
    )
    malformed: list[dict[str, str | int]] = [
        {"from": 0, "to": 1},
        {"from": "one", "to": 1},
        {"to": 1},
    ]
    for params in malformed:
        assert (await intake.client.get(url, params=params)).status_code == 422
    other = await intake.client.get(
        f"/departments/other/submissions/{submission_id}/diff?from=1&to=1"
    )
    assert other.status_code == 404
    same = (await intake.client.get(url, params={"from": 1, "to": 1})).json()
    assert same["changed"] == [] and same["removed"] == [] and same["added"] == []


async def test_a_redelivered_return_is_recorded_once(intake: Intake) -> None:
    submission_id, _, bad = await first_version_returned(intake)
    await intake.returned(submission_id, 1, {bad: OUTSIDE})  # the same event id again
    submission = (await intake.client.get(f"{BASE}/submissions/{submission_id}")).json()
    assert len(submission["versions"][0]["return_reasons"]) == 1
    assert len(submission["versions"][0]["receipts"][1]["return_reasons"]) == 1
