"""The demo department `make up` seeds: a VAT-style quarterly return, a few filers, and the
current quarter opened. Every call is idempotent, so seeding twice changes nothing."""

import time
from datetime import date

import httpx
from cabinet_cycles.periods import quarter_containing

DEPARTMENT = "demo"
FORM_TYPE = "vat-return"
FILERS = {
    "acme-ltd": "Acme Ltd",
    "birch-and-co": "Birch & Co",
    "cobalt-trading": "Cobalt Trading",
}


def seed_demo(cycles_url: str, intake_url: str, timeout_s: float = 60) -> str:
    """Seed the demo and return the period key it opened, once intake knows its obligations."""
    with httpx.Client(base_url=cycles_url, timeout=10) as cycles:
        base = f"/departments/{DEPARTMENT}"
        cycles.put(base, json={"name": "Demo Department of Returns"}).raise_for_status()
        cycles.put(
            f"{base}/form-types/{FORM_TYPE}",
            json={
                "name": "Quarterly VAT-style return",
                "due_months_after_period_end": 1,
                "due_days_after": 7,
            },
        ).raise_for_status()
        for filer_id, name in FILERS.items():
            cycles.put(
                f"{base}/filers/{filer_id}",
                json={
                    "name": name,
                    "contact_email": f"returns@{filer_id}.example",
                    "form_type_ids": [FORM_TYPE],
                },
            ).raise_for_status()
        period_key = quarter_containing(date.today()).key
        cycles.post(
            f"{base}/form-types/{FORM_TYPE}/periods", json={"period_key": period_key}
        ).raise_for_status()
        obligations = cycles.get(f"{base}/obligations", params={"period_key": period_key}).json()
    _wait_until_intake_knows(intake_url, obligations, timeout_s)
    return period_key


def _wait_until_intake_knows(
    intake_url: str, obligations: list[dict[str, str]], timeout_s: float
) -> None:
    """Intake learns obligations from ObligationOpened; wait so the demo can be used at once."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=intake_url, timeout=10) as intake:
        for obligation in obligations:
            department, obligation_id = obligation["department_id"], obligation["obligation_id"]
            path = f"/departments/{department}/obligations/{obligation_id}"
            while intake.get(path).status_code != 200:
                if time.monotonic() > deadline:
                    raise TimeoutError("intake did not learn the demo obligations in time")
                time.sleep(0.2)
