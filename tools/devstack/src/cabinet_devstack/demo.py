"""Seeding a department through the cycles API: the demo department `make up` creates, and
the departments the integration tests create. Every call is idempotent."""

import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from cabinet_common.form_types.periods import quarter_containing

DEMO_DEPARTMENT = "demo"
DEMO_FORM_TYPE = "vat-return"
DEMO_FILERS = {
    "acme-ltd": "Acme Ltd",
    "birch-and-co": "Birch & Co",
    "cobalt-trading": "Cobalt Trading",
}
VAT_RETURN_DEFINITION = Path(__file__).resolve().parents[4] / "examples/form-types/vat-return.yaml"


def seed_department(
    cycles_url: str,
    intake_url: str,
    department_id: str,
    form_type_id: str,
    filers: dict[str, str],
    period_key: str,
    auth: dict[str, str],
    timeout_s: float = 60,
    definition_yaml: bytes | None = None,
) -> list[dict[str, Any]]:
    """Register the department, a form type (the VAT-style example unless another
    definition is given) and the filers, open the period, and return its obligations once
    intake knows them all (it learns them from ObligationOpened)."""
    department = f"/departments/{department_id}"
    with httpx.Client(base_url=cycles_url, timeout=10, headers=auth) as cycles:
        cycles.put(department, json={"name": f"Department {department_id}"}).raise_for_status()
        cycles.put(
            f"{department}/form-types/{form_type_id}",
            content=definition_yaml or VAT_RETURN_DEFINITION.read_bytes(),
            headers={"content-type": "application/yaml"},
        ).raise_for_status()
        for filer_id, name in filers.items():
            cycles.put(
                f"{department}/filers/{filer_id}",
                json={
                    "name": name,
                    "contact_email": f"returns@{filer_id}.example",
                    "form_type_ids": [form_type_id],
                },
            ).raise_for_status()
        cycles.post(
            f"{department}/form-types/{form_type_id}/periods", json={"period_key": period_key}
        ).raise_for_status()
        obligations = _wait_until_opened(cycles, department, period_key, len(filers), timeout_s)
    _wait_until_intake_knows(intake_url, department_id, obligations, auth, timeout_s)
    return obligations


def _wait_until_opened(
    cycles: httpx.Client, department: str, period_key: str, count: int, timeout_s: float
) -> list[dict[str, Any]]:
    """The quarter workflow opens obligations in batches, after the period is opened."""
    deadline = time.monotonic() + timeout_s
    while True:
        obligations = _all_obligations(cycles, department, period_key)
        if len(obligations) >= count:
            return obligations
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(obligations)} of {count} obligations were opened")
        time.sleep(0.2)


def _all_obligations(
    cycles: httpx.Client, department: str, period_key: str
) -> list[dict[str, Any]]:
    """Every page of the period's obligations (the list is paged in filer order)."""
    obligations: list[dict[str, Any]] = []
    while True:
        params = {"period_key": period_key, "limit": "5000"}
        if obligations:
            params["after_filer_id"] = obligations[-1]["filer_id"]
        response = cycles.get(f"{department}/obligations", params=params)
        response.raise_for_status()
        page: list[dict[str, Any]] = response.json()
        obligations.extend(page)
        if len(page) < 5000:
            return obligations


def seed_demo(cycles_url: str, intake_url: str, auth: dict[str, str]) -> str:
    """The demo department with the current quarter open; returns the period key."""
    period_key = quarter_containing(date.today()).key
    seed_department(
        cycles_url, intake_url, DEMO_DEPARTMENT, DEMO_FORM_TYPE, DEMO_FILERS, period_key, auth
    )
    return period_key


def _wait_until_intake_knows(
    intake_url: str,
    department_id: str,
    obligations: list[dict[str, Any]],
    auth: dict[str, str],
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    base = f"{intake_url}/departments/{department_id}"
    with httpx.Client(base_url=base, timeout=10, headers=auth) as intake:
        for obligation in obligations:
            while intake.get(f"/obligations/{obligation['obligation_id']}").status_code != 200:
                if time.monotonic() > deadline:
                    raise TimeoutError("intake did not learn the opened obligations in time")
                time.sleep(0.2)
