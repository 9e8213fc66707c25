"""The register on the running stack: form types published from YAML with the CLI, new
versions applying only to periods opened afterwards, and the all-or-nothing CSV import."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from cabinet_devstack.stack import Stack
from tests.integration.helpers import HEADER, import_filers, new_department

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "form-types"
CLI = Path(sys.executable).parent / "cabinet-form-types"


def load_with_cli(stack: Stack, department_id: str, example: str) -> str:
    done = subprocess.run(
        [
            str(CLI),
            "load",
            str(EXAMPLES / f"{example}.yaml"),
            "--department",
            department_id,
            "--form-type",
            example,
            "--cycles-url",
            stack.config.url("cycles"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **stack.config.cli_env()},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_a_new_form_type_version_applies_only_to_periods_opened_after_it(
    stack: Stack, cycles: httpx.AsyncClient
) -> None:
    department_id = await new_department(cycles)
    assert load_with_cli(stack, department_id, "vat-return") == (
        f"{department_id}/vat-return is at version 1"
    )
    assert load_with_cli(stack, department_id, "vat-return").endswith("at version 1")
    imported = await import_filers(
        cycles, department_id, HEADER + "acme-ltd,Acme Ltd,returns@acme.example,vat-return\n"
    )
    assert imported.status_code == 200, imported.text
    form_type = f"/departments/{department_id}/form-types/vat-return"

    third_quarter = await cycles.post(f"{form_type}/periods", json={"period_key": "2026-Q3"})
    assert third_quarter.status_code == 201, third_quarter.text
    assert third_quarter.json()["form_type_version"] == 1

    definition: dict[str, Any] = (await cycles.get(form_type)).json()["definition"]
    changed = await cycles.put(form_type, json=definition | {"escalate_after_days_overdue": 30})
    assert changed.json()["version"] == 2

    fourth_quarter = await cycles.post(f"{form_type}/periods", json={"period_key": "2026-Q4"})
    assert fourth_quarter.json()["form_type_version"] == 2
    reopened = await cycles.post(f"{form_type}/periods", json={"period_key": "2026-Q3"})
    assert reopened.status_code == 200
    assert reopened.json()["form_type_version"] == 1


async def test_an_import_with_bad_rows_changes_nothing_and_reports_each_row(
    cycles: httpx.AsyncClient,
) -> None:
    department_id = await new_department(cycles)
    definition = (EXAMPLES / "expenses.yaml").read_bytes()
    await cycles.put(
        f"/departments/{department_id}/form-types/expenses",
        content=definition,
        headers={"content-type": "application/yaml"},
    )
    good = await import_filers(
        cycles,
        department_id,
        HEADER
        + "acme-ltd,Acme Ltd,returns@acme.example,expenses\n"
        + "birch-and-co,Birch & Co,returns@birch.example,expenses\n",
    )
    assert good.status_code == 200, good.text
    assert good.json()["created"] == 2
    register_before = (await cycles.get(f"/departments/{department_id}/filers")).json()

    bad = await import_filers(
        cycles,
        department_id,
        HEADER
        + "acme-ltd,Acme Renamed,returns@acme.example,expenses\n"
        + "Cobalt Trading,Cobalt,returns@cobalt.example,expenses\n"
        + "dune,Dune,returns@dune.example,vat-return\n"
        + "acme-ltd,Acme Twice,returns@acme.example,expenses\n",
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [(row["code"], row["row"]) for row in bad.json()["errors"]] == [
        ("INVALID_ROW", 3),
        ("INVALID_ROW", 4),
        ("INVALID_ROW", 5),
    ]
    register_after = (await cycles.get(f"/departments/{department_id}/filers")).json()
    assert register_after == register_before
