"""A return that arrived on paper, keyed in by a caseworker with scans of its receipts,
through intake's API in process: it is marked as paper, with who keyed it, on the stored
version, in what the API returns and in the FormSubmitted it publishes; an online one
names no one. Who keyed it in is the caseworker the token names, never the body. A replay
that changes the channel or the caseworker is a different request."""

import hashlib
import json
from typing import Any

import pytest

from cabinet_common.auth.principal import Role
from cabinet_intake.schemas import SubmissionIn
from cabinet_intake.submissions import request_sha256, submission_sha256
from tests import receipt_files
from tests.auth_support import bearer
from tests.unit.intake_support import BASE, DEPARTMENT, Intake, line


def caseworker(subject: str = "caseworker-1") -> dict[str, str]:
    return bearer(Role.CASEWORKER, DEPARTMENT, subject=subject)


PAPER: dict[str, Any] = {"channel": "paper", "caller": caseworker()}


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


async def test_keyed_by_is_never_taken_from_the_body(intake: Intake) -> None:
    extras: list[dict[str, Any]] = [
        {"keyed_by": "caseworker-1"},
        {"channel": "paper", "keyed_by": "someone"},
    ]
    for extra in extras:
        refused = await intake.submit([line("2026-08-01", 1000)], caller=caseworker(), **extra)
        assert refused.status_code == 422, refused.text
        assert any("Extra inputs are not permitted" in m for m in messages(refused))
    assert await intake.form_submitted() == []


async def test_only_a_caseworker_keys_in_paper_and_only_a_filer_files_online(
    intake: Intake,
) -> None:
    filer = bearer(Role.FILER, DEPARTMENT, "filer-a")
    operator = bearer(Role.OPERATOR, DEPARTMENT)
    attempts: list[tuple[dict[str, str], dict[str, Any]]] = [
        (filer, {"channel": "paper"}),
        (operator, {"channel": "paper"}),
        (caseworker(), {}),
        (operator, {}),
    ]
    for caller, extra in attempts:
        refused = await intake.submit([line("2026-08-01", 1000)], caller=caller, **extra)
        assert refused.status_code == 403, refused.text
    taken = await intake.submit([line("2026-08-01", 1000)], caller=filer)
    assert taken.status_code == 202, taken.text


async def test_another_filer_is_told_the_obligation_does_not_exist(intake: Intake) -> None:
    other = bearer(Role.FILER, DEPARTMENT, "filer-b")
    refused = await intake.submit([line("2026-08-01", 1000)], caller=other)
    assert refused.status_code == 404, refused.text
    taken = await intake.submit([line("2026-08-01", 1000)])
    submission_id = taken.json()["submission_id"]
    seen = await intake.client.get(f"{BASE}/submissions/{submission_id}", headers=other)
    assert seen.status_code == 404, seen.text


@pytest.mark.parametrize("channel", ["fax", "PAPER"])
async def test_the_channel_is_one_of_two(intake: Intake, channel: str) -> None:
    refused = await intake.submit([line("2026-08-01", 1000)], caller=caseworker(), channel=channel)
    assert refused.status_code == 422, refused.text
    assert await intake.form_submitted() == []


async def test_a_hundred_character_caseworker_id_is_taken(intake: Intake) -> None:
    taken = await intake.submit(
        [line("2026-08-01", 1000)], channel="paper", caller=caseworker("x" * 100)
    )
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
        lines, "key-1", [scan], channel="paper", caller=caseworker("caseworker-2")
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
    paper = SubmissionIn(answers={"box1": "1"}, declared_total_pence=0, channel="paper")
    paper.keyed_in_by("caseworker-1")
    other = SubmissionIn(answers={"box1": "1"}, declared_total_pence=0, channel="paper")
    other.keyed_in_by("caseworker-2")
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
