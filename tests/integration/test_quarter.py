"""A department's whole quarter on the real stack: opened by its schedule (a backfill of a
quarter already past its due date), a reminder delivered, late filers escalated, caseworker
decisions applied, the quarter closed with its figures, and its sealed audit pack verified.
And a quarter of 2,000 obligations fanned out on the real Temporal dev server."""

import email
import subprocess
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from cabinet_common.form_types.periods import quarter_containing
from cabinet_common.temporal import connect
from cabinet_devstack.stack import Stack
from tests.integration.helpers import (
    HEADER,
    eventually,
    import_filers,
    new_department,
    obligation_in_status,
    receipt_line,
    submit,
    unique_file,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "form-types"
AUDIT_CLI = Path(sys.executable).parent / "cabinet-audit"
PAST_QUARTER = "2026-Q2"  # 1 April to 30 June 2026, due 7 August 2026
CURRENT_QUARTER = quarter_containing(date.today())


async def publish_vat_return(cycles: httpx.AsyncClient, department_id: str) -> str:
    form_type = f"/departments/{department_id}/form-types/vat-return"
    response = await cycles.put(
        form_type,
        content=(EXAMPLES / "vat-return.yaml").read_bytes(),
        headers={"content-type": "application/yaml"},
    )
    response.raise_for_status()
    return form_type


async def period_progress(
    cycles: httpx.AsyncClient, form_type: str, period_key: str, phase: str
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await cycles.get(f"{form_type}/periods/{period_key}")
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body if body["progress"]["phase"] == phase else None

    return await eventually(probe, timeout_s=120, what=f"{period_key} to reach {phase}")


async def test_a_whole_quarter_from_schedule_to_sealed_audit_pack(
    stack: Stack, cycles: httpx.AsyncClient, intake: httpx.AsyncClient
) -> None:
    department_id = await new_department(cycles)
    form_type = await publish_vat_return(cycles, department_id)
    rows = "".join(
        f"{filer},{filer.title()},returns@{filer}.example,vat-return\n"
        for filer in ("late-filer", "waived-filer", "silent-filer")
    )
    assert (await import_filers(cycles, department_id, HEADER + rows)).status_code == 200

    schedule = (await cycles.get(f"{form_type}/schedule")).json()
    assert schedule["paused"] is False
    assert schedule["next_runs"], "the schedule has upcoming quarter openings"
    paused = await cycles.post(f"{form_type}/schedule/pause", json={"note": "audit week"})
    assert paused.status_code == 204
    assert (await cycles.get(f"{form_type}/schedule")).json()["paused"] is True
    assert (await cycles.post(f"{form_type}/schedule/unpause", json={})).status_code == 204
    assert (await cycles.get(f"{form_type}/schedule")).json()["paused"] is False
    # Trigger now: the schedule opens the quarter we are in.
    assert (await cycles.post(f"{form_type}/schedule/trigger")).status_code == 202
    current = await period_progress(cycles, form_type, CURRENT_QUARTER.key, "open")
    assert current["progress"]["opened"] == 3
    backfill = await cycles.post(
        f"{form_type}/schedule/backfill", json={"period_key": PAST_QUARTER}
    )
    assert backfill.status_code == 202
    opened = await period_progress(cycles, form_type, PAST_QUARTER, "open")
    assert opened["progress"]["opened"] == 3
    assert opened["due"] == "2026-08-07"

    obligations = {
        o["filer_id"]: o
        for o in (
            await cycles.get(
                f"/departments/{department_id}/obligations", params={"period_key": PAST_QUARTER}
            )
        ).json()
    }
    # Opened long after its due date: overdue, escalated, and one reminder (the latest rung).
    for filer_id, obligation in obligations.items():
        escalated = await obligation_in_status(
            cycles, department_id, obligation["obligation_id"], "escalated"
        )
        assert [h["status"] for h in escalated["history"]] == ["open", "overdue", "escalated"]
        assert escalated["history"][-1]["actor"] == "system"
        reminders = await eventually(
            partial(_reminders_for, stack.config.mail_dir, obligation["obligation_id"]),
            what=f"the reminder to {filer_id}",
        )
        assert [m["X-Cabinet-Days-Relative-To-Due"] for m in reminders] == ["15"]
        assert reminders[0]["To"] == f"returns@{filer_id}.example"

    queue = (await cycles.get(f"/departments/{department_id}/queue")).json()
    assert {item["filer_id"] for item in queue} == set(obligations)

    # A caseworker waives one; an invalid decision is refused and changes nothing.
    waived_id = obligations["waived-filer"]["obligation_id"]
    refused = await cycles.post(
        f"/departments/{department_id}/obligations/{waived_id}/accept",
        json={"reason": "looks fine"},
    )
    assert refused.status_code == 409
    assert "no checked submission" in refused.json()["detail"]
    waived = await cycles.post(
        f"/departments/{department_id}/obligations/{waived_id}/waive",
        json={"reason": "Business ceased trading in May"},
    )
    assert waived.status_code == 200, waived.text
    assert waived.json()["status"] == "waived"

    # The late filer files (late) and is accepted by the checks.
    late_id = obligations["late-filer"]["obligation_id"]
    await eventually(
        lambda: _known_to_intake(intake, department_id, late_id), what="intake to know it"
    )
    filed = await submit(
        intake, department_id, late_id, [receipt_line("2026-05-05", 4200)], [unique_file("late")]
    )
    assert filed.status_code == 202, filed.text
    await obligation_in_status(cycles, department_id, late_id, "accepted")

    closing = await cycles.post(f"{form_type}/periods/{PAST_QUARTER}/close")
    assert closing.status_code == 202
    closed = await period_progress(cycles, form_type, PAST_QUARTER, "closed")
    assert closed["figures"] == {
        "obligations": 3,
        "on_time": 0,
        "late": 1,
        "waived": 1,
        "outstanding": 1,
    }
    silent = await obligation_in_status(
        cycles, department_id, obligations["silent-filer"]["obligation_id"], "closed"
    )
    assert silent["history"][-1]["detail"] == "Quarter closed without an accepted return"

    # Intake learns it from the events and refuses a submission at once, saying why.
    for filer_id, code in (
        ("silent-filer", "OBLIGATION_CLOSED"),
        ("waived-filer", "OBLIGATION_WAIVED"),
    ):
        obligation_id = obligations[filer_id]["obligation_id"]
        await eventually(
            partial(_settled_in_intake, intake, department_id, obligation_id),
            what=f"intake to hear {filer_id}'s obligation is settled",
        )
        too_late = await submit(
            intake,
            department_id,
            obligation_id,
            [receipt_line("2026-05-05", 100)],
            [unique_file(filer_id)],
        )
        assert too_late.status_code == 409, too_late.text
        assert too_late.json()["code"] == code

    pack = await cycles.get(f"{form_type}/periods/{PAST_QUARTER}/audit-pack")
    assert pack.status_code == 200
    assert (
        pack.content == (await cycles.get(f"{form_type}/periods/{PAST_QUARTER}/audit-pack")).content
    )
    public_key = (await cycles.get("/signing-key")).json()["public_key"]
    pack_file = stack.config.state_dir / f"{department_id}-audit-pack.json"
    pack_file.write_bytes(pack.content)
    verified = _verify(pack_file, public_key)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("OK")

    tampered = pack.content.replace(
        b"Business ceased trading in May", b"Business ceased trading in June"
    )
    assert tampered != pack.content
    pack_file.write_bytes(tampered)
    assert _verify(pack_file, public_key).returncode == 1


async def test_two_thousand_obligations_fan_out_on_the_real_server(
    stack: Stack, cycles: httpx.AsyncClient
) -> None:
    department_id = await new_department(cycles)
    form_type = await publish_vat_return(cycles, department_id)
    rows = "".join(
        f"filer-{n:05d},Filer {n},returns@filer-{n:05d}.example,vat-return\n" for n in range(2000)
    )
    assert (await import_filers(cycles, department_id, HEADER + rows)).status_code == 200
    opened = await cycles.post(f"{form_type}/periods", json={"period_key": "2026-Q4"})
    assert opened.status_code == 201
    progress = await period_progress(cycles, form_type, "2026-Q4", "open")
    assert progress["progress"]["opened"] == 2000

    client: Client = await connect(stack.config.temporal_settings())
    query = f'CabinetDepartment = "{department_id}" AND CabinetPeriodKey = "2026-Q4"'

    async def all_visible() -> int | None:
        count = (await client.count_workflows(query)).count
        return count if count == 2000 else None

    assert await eventually(all_visible, timeout_s=180, what="2,000 obligation workflows") == 2000


async def _reminders_for(
    mail_dir: Path, obligation_id: str
) -> "list[email.message.Message] | None":
    messages = [
        email.message_from_bytes(path.read_bytes())
        for path in sorted(mail_dir.glob("*.eml"))  # noqa: ASYNC240 (a few small files)
    ]
    found = [m for m in messages if m["X-Cabinet-Obligation"] == obligation_id]
    return found or None


async def _known_to_intake(
    intake: httpx.AsyncClient, department_id: str, obligation_id: str
) -> bool | None:
    response = await intake.get(f"/departments/{department_id}/obligations/{obligation_id}")
    return True if response.status_code == 200 else None


def _verify(pack_file: Path, public_key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AUDIT_CLI), "verify", str(pack_file), "--public-key", public_key],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _settled_in_intake(
    intake: httpx.AsyncClient, department_id: str, obligation_id: str
) -> str | None:
    response = await intake.get(f"/departments/{department_id}/obligations/{obligation_id}")
    settled: str | None = response.json()["settled_status"]
    return settled
