"""Issue 4 on the real stack: files decided by content and refused with GOV.UK wording,
answers intake cannot read refused, a possible duplicate held for a caseworker, and the
signed acknowledgement fetched as JSON, HTML and PDF and verified."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from cabinet_cycles.acknowledgements_cli import main as cabinet_ack
from cabinet_devstack.stack import Stack
from tests import receipt_files
from tests.integration.conftest import Department
from tests.integration.helpers import (
    VAT_ANSWERS,
    eventually,
    latest_history_entry,
    obligation_in_status,
    receipt_line,
    submit,
    unique_file,
)


async def test_files_are_refused_by_content_naming_each_file(
    department: Department, intake: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-a")
    day = department.day(3)
    lines = [receipt_line(day, 100 + i, payee=f"Payee {i}") for i in range(6)]
    refused = await submit(
        intake,
        department.id,
        obligation_id,
        lines,
        [
            b"",
            receipt_files.truncated(receipt_files.pdf()),
            receipt_files.pdf(password="secret"),
            b"MZ\x90\x00" + uuid.uuid4().bytes,
            b"<!DOCTYPE html>\n<html><body>Your receipt, thank you</body></html>\n",
            unique_file("fine"),
        ],
        file_names=[
            "empty.pdf",
            "cut.pdf",
            "locked.pdf",
            "..\\..\\evil.exe.pdf",
            "receipt.csv",
            "ok.pdf",
        ],
    )
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [(e["file"], e["code"]) for e in errors] == [
        (1, "FILE_EMPTY"),
        (2, "FILE_UNREADABLE"),
        (3, "FILE_PASSWORD_PROTECTED"),
        (4, "FILE_TYPE_NOT_ACCEPTED"),
        (5, "FILE_CSV_NOT_READABLE"),
    ]
    assert errors[0]["detail"] == "The selected file is empty (empty.pdf, file 1)"
    assert errors[2]["detail"].startswith("The selected file is password protected")
    assert errors[3]["detail"].startswith("The selected file must be a PDF, PNG, JPG or CSV")
    assert errors[3]["file_name"] == "evil.exe.pdf"

    # A PNG named .pdf (and sent as application/pdf) is taken, recorded as the PNG it is.
    png_named_pdf = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(day, 250)],
        [receipt_files.png()],
        file_names=["x" * 400 + ".pdf"],
    )
    assert png_named_pdf.status_code == 202, png_named_pdf.text
    submission = (
        await intake.get(
            f"/departments/{department.id}/submissions/{png_named_pdf.json()['submission_id']}"
        )
    ).json()
    receipt = submission["versions"][0]["receipts"][0]
    assert receipt["media_type"] == "image/png"
    assert len(receipt["file_name"]) == 120 and receipt["file_name"].endswith(".pdf")


async def test_answers_intake_cannot_read_are_refused_field_by_field(
    department: Department, intake: httpx.AsyncClient
) -> None:
    answers = {**VAT_ANSWERS, "box1": "£12.345", "declaration": "no"}
    del answers["box4"]
    refused = await submit(
        intake,
        department.id,
        department.obligation_id("filer-b"),
        [receipt_line(department.day(1), 100)],
        [unique_file("answers")],
        answers=answers,
    )
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("box1", "NOT_MONEY"),
        ("box4", "REQUIRED"),
        ("declaration", "DECLARATION_REQUIRED"),
    ]


async def test_a_broken_rule_is_returned_with_its_code_not_refused(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-c")
    response = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(2), 100)],
        [unique_file("box 3")],
        answers={**VAT_ANSWERS, "box3": "121"},
    )
    assert response.status_code == 202, response.text
    returned = await obligation_in_status(cycles, department.id, obligation_id, "returned")
    assert "Box 3 must equal box 1 plus box 2 (£120.00)" in returned["history"][-1]["detail"]
    async with httpx.AsyncClient(
        base_url=stack.config.url("receipts"), headers=stack.config.machine_auth()
    ) as receipts:
        checks = (
            await receipts.get(
                f"/departments/{department.id}/submissions/"
                f"{response.json()['submission_id']}/versions/1/checks"
            )
        ).json()
    # Box 5 is derived from box 3, so only the first wrong figure is named.
    assert checks["submission_reasons"] == [
        {
            "code": "TOTAL_MISMATCH",
            "message": "Box 3 must equal box 1 plus box 2 (£120.00)",
            "field_id": "box3",
        },
    ]


async def test_a_possible_duplicate_is_held_for_a_caseworker_who_accepts_it(
    department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    first, second = department.obligation_id("filer-a"), department.obligation_id("filer-b")
    day = department.day(5)
    assert (
        await submit(
            intake, department.id, first, [receipt_line(day, 4321, "Taxi Co")], [unique_file("1")]
        )
    ).status_code == 202
    await obligation_in_status(cycles, department.id, first, "accepted")
    # Another filer, a different file, the same payee (spelt differently), amount and date.
    assert (
        await submit(
            intake,
            department.id,
            second,
            [receipt_line(day, 4321, "TAXI  CO.")],
            [receipt_files.jpeg()],
        )
    ).status_code == 202

    async def held() -> dict[str, object] | None:
        body = (await cycles.get(f"/departments/{department.id}/obligations/{second}")).json()
        detail = latest_history_entry(body)["detail"]
        return body if "held for a caseworker" in detail else None

    obligation: Any = await eventually(held, what="the submission to be held")
    assert obligation["status"] == "checking"
    # The flag is a code in the cycles API too, as in the receipts API and the events.
    assert [r["code"] for r in obligation["history"][-1]["reasons"]] == ["POSSIBLE_DUPLICATE"]
    queue = (await cycles.get(f"/departments/{department.id}/queue")).json()
    assert second in {item["obligation_id"] for item in queue}

    accepted = await cycles.post(
        f"/departments/{department.id}/obligations/{second}/accept",
        json={"reason": "Two passengers shared the taxi; both paid"},
    )
    assert accepted.status_code == 200, accepted.text
    await obligation_in_status(cycles, department.id, second, "accepted")


async def test_the_acknowledgement_is_signed_rendered_and_verifiable(
    department: Department,
    intake: httpx.AsyncClient,
    cycles: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    obligation_id = department.obligation_id("filer-c")
    response = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(8), 999, "Printer Ink Ltd")],
        [receipt_files.csv_file()],
    )
    assert response.status_code == 202, response.text
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    base = f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    document = (await cycles.get(base)).content
    assert (await cycles.get(base)).content == document
    body = json.loads(document)
    assert body["signature"]["algorithm"] == "Ed25519"
    assert body["submission_sha256"] == response.json()["submission_sha256"]
    assert body["version"] == 1

    html = await cycles.get(f"{base}.html")
    assert html.headers["content-type"].startswith("text/html")
    assert body["reference"] in html.text
    pdf, pdf_again = (await cycles.get(f"{base}.pdf")), (await cycles.get(f"{base}.pdf"))
    assert pdf.content.startswith(b"%PDF-") and pdf.content == pdf_again.content

    genuine = (await cycles.post("/acknowledgements/verify", content=document)).json()
    assert genuine["genuine"] is True and genuine["reference"] == body["reference"]
    assert (await cycles.post("/acknowledgements/verify", content=pdf.content)).json()["genuine"]
    altered = document.replace(b'"version":1', b'"version":2')
    verdict = (await cycles.post("/acknowledgements/verify", content=altered)).json()
    assert verdict["genuine"] is False
    assert "altered: the signature does not match the content" in verdict["problems"]

    key = (await cycles.get("/signing-key")).json()["public_key"]
    path = tmp_path / "ack.json"
    path.write_bytes(document)
    assert cabinet_ack(["verify", str(path), "--public-key", key]) == 0
