"""A caseworker extends a due date: the workflow's deadlines and the obligation's record
both move, and a date that is not later is refused with nothing changed."""

from datetime import date, timedelta

import httpx

from cabinet_common.auth.principal import Principal, Role
from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department
from tests.integration.helpers import eventually, latest_history_entry


async def test_extending_a_due_date_moves_it_everywhere(
    stack: Stack, department: Department, cycles: httpx.AsyncClient
) -> None:
    """Who extended it is the caseworker the token names."""
    clerk = stack.config.auth_for(Principal("clerk-3", Role.CASEWORKER, department.id))
    obligation_id = department.obligation_id("filer-a")
    path = f"/departments/{department.id}/obligations/{obligation_id}"
    due = date.fromisoformat((await cycles.get(path)).json()["due_date"])

    earlier = await cycles.post(
        f"{path}/extend",
        json={"reason": "x", "due_date": (due - timedelta(1)).isoformat()},
        headers=clerk,
    )
    assert earlier.status_code == 409, earlier.text
    assert (await cycles.get(path)).json()["due_date"] == due.isoformat()

    later = (due + timedelta(days=14)).isoformat()
    extended = await cycles.post(
        f"{path}/extend",
        json={"reason": "Flooded office; evidence seen", "due_date": later},
        headers=clerk,
    )
    assert extended.status_code == 200, extended.text
    obligation = (await cycles.get(path)).json()
    assert obligation["due_date"] == later

    async def extension_in_history() -> str | None:
        # The history entry comes from the workflow's ObligationStatusChanged, over Kafka.
        actor: str | None = latest_history_entry((await cycles.get(path)).json())["actor"]
        return actor if actor != "system" else None

    assert await eventually(extension_in_history, what="the extension in the history") == (
        "clerk-3"
    )
