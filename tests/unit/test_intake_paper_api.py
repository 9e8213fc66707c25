"""A return that arrived on paper, keyed in by a caseworker with scans of its receipts,
through intake's API in process: it is marked as paper, with who keyed it, on the stored
version, in what the API returns and in the FormSubmitted it publishes; an online one
names no one. A replay that changes the channel or the caseworker is a different request."""

import hashlib
import json
from typing import Any

import pytest

from cabinet_intake.schemas import SubmissionIn
from cabinet_intake.submissions import request_sha256, submission_sha256
from tests import receipt_files
from tests.unit.intake_support import BASE, Intake, line

PAPER: dict[str, Any] = {"channel": "paper", "keyed_by": "caseworker-1"}


def messages(response: Any) -> list[str]:
    return [str(error["detail"]) for error in response.json()["errors"]]


async def test_a_paper_return_is_marked_as_paper_with_who_keyed_it_everywhere(
    intake: Intake,
) -> None:
    taken = await intake.submit([line("2026-08-01", 1000)], **PAPER)
    assert taken.status_code == 202, taken.text
    submission_id = taken.json()["submission_id"]

    [event] = await intake.form_submitted()
    assert (event.channel, event.keyed_by) == ("paper", "caseworker-1")
    assert event.submission_sha256 == taken.json()["submission_sha256"]

    submission = (await intake.client.get(f"{BASE}/submissions/{submission_id}")).json()
    [version] = submission["versions"]
    assert (version["channel"], version["keyed_by"]) == ("paper", "caseworker-1")


async def test_an_online_submission_is_online_and_names_no_one(intake: Intake) -> None:
    taken = await intake.submit([line("2026-08-01", 1000)])
    assert taken.status_code == 202, taken.text

    [event] = await intake.form_submitted()
    assert (event.channel, event.keyed_by) == ("online", "")
    submission = (
        await intake.client.get(f"{BASE}/submissions/{taken.json()['submission_id']}")
    ).json()
    [version] = submission["versions"]
    assert (version["channel"], version["keyed_by"]) == ("online", None)


async def test_each_version_keeps_its_own_channel(intake: Intake) -> None:
    first = await intake.submit([line("2026-08-01", 1000)])
    second = await intake.submit([line("2026-08-02", 900)], **PAPER)
    assert first.status_code == second.status_code == 202, second.text
    submission = (
        await intake.client.get(f"{BASE}/submissions/{second.json()['submission_id']}")
    ).json()
    assert [(v["version"], v["channel"], v["keyed_by"]) for v in submission["versions"]] == [
        (1, "online", None),
        (2, "paper", "caseworker-1"),
    ]
    assert [(e.version, e.channel, e.keyed_by) for e in await intake.form_submitted()] == [
        (1, "online", ""),
        (2, "paper", "caseworker-1"),
    ]


async def test_a_paper_return_needs_the_caseworker_who_keyed_it(intake: Intake) -> None:
    refused = await intake.submit([line("2026-08-01", 1000)], channel="paper")
    assert refused.status_code == 422, refused.text
    assert any('keyed_by is required when channel is "paper"' in m for m in messages(refused))
    assert await intake.form_submitted() == []


async def test_an_online_submission_refuses_keyed_by(intake: Intake) -> None:
    extras: list[dict[str, Any]] = [
        {"keyed_by": "caseworker-1"},
        {"channel": "online", "keyed_by": "cw"},
    ]
    for extra in extras:
        refused = await intake.submit([line("2026-08-01", 1000)], **extra)
        assert refused.status_code == 422, refused.text
        assert any("keyed_by is only for a paper return" in m for m in messages(refused))
    assert await intake.form_submitted() == []


@pytest.mark.parametrize(
    "extra",
    [
        {"channel": "paper", "keyed_by": ""},
        {"channel": "paper", "keyed_by": "x" * 101},
        {"channel": "fax", "keyed_by": "caseworker-1"},
        {"channel": "PAPER", "keyed_by": "caseworker-1"},
    ],
)
async def test_keyed_by_must_be_1_to_100_characters_and_the_channel_one_of_two(
    intake: Intake, extra: dict[str, Any]
) -> None:
    refused = await intake.submit([line("2026-08-01", 1000)], **extra)
    assert refused.status_code == 422, refused.text
    assert await intake.form_submitted() == []


async def test_a_hundred_character_caseworker_id_is_taken(intake: Intake) -> None:
    taken = await intake.submit([line("2026-08-01", 1000)], channel="paper", keyed_by="x" * 100)
    assert taken.status_code == 202, taken.text


async def test_a_replay_with_another_channel_or_caseworker_is_a_409(intake: Intake) -> None:
    lines = [line("2026-08-01", 1000)]
    scan = receipt_files.pdf("scan")
    first = await intake.submit(lines, "key-1", [scan], **PAPER)
    again = await intake.submit(lines, "key-1", [scan], **PAPER)
    assert first.status_code == again.status_code == 202, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()

    online = await intake.submit(lines, "key-1", [scan])
    assert online.status_code == 409, online.text
    someone_else = await intake.submit(
        lines, "key-1", [scan], channel="paper", keyed_by="caseworker-2"
    )
    assert someone_else.status_code == 409, someone_else.text
    assert len(await intake.form_submitted()) == 1

    # And the other way round: a key first used online cannot be replayed as paper.
    taken = await intake.submit(lines, "key-2", [scan])
    assert taken.status_code == 202, taken.text
    as_paper = await intake.submit(lines, "key-2", [scan], **PAPER)
    assert as_paper.status_code == 409, as_paper.text


def test_the_channel_is_in_the_request_fingerprint_but_not_the_content_hash() -> None:
    online = SubmissionIn(answers={"box1": "1"}, declared_total_pence=0)
    paper = SubmissionIn(answers={"box1": "1"}, declared_total_pence=0, **PAPER)
    other = SubmissionIn(
        answers={"box1": "1"}, declared_total_pence=0, channel="paper", keyed_by="caseworker-2"
    )
    assert len({request_sha256(b, []) for b in (online, paper, other)}) == 3
    # What was filed (the answers, receipts and files) is the same however it arrived.
    assert submission_sha256(online, []) == submission_sha256(paper, [])


def test_an_online_request_fingerprints_as_before_paper_returns_existed() -> None:
    # A client's retry of a request taken by an earlier release must still be a replay.
    body = SubmissionIn(answers={"box1": "1"}, declared_total_pence=0, drop_receipt_ids=["b"])
    before = {
        "content": submission_sha256(body, []),
        "keep_receipt_ids": None,
        "drop_receipt_ids": ["b"],
    }
    encoded = json.dumps(before, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert request_sha256(body, []) == hashlib.sha256(encoded.encode()).hexdigest()
