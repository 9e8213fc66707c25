"""Temporal payloads are encrypted on the real dev server: a workflow's history, read
straight from the server by a client without Cabinet's codec, holds no filer's email, name
or caseworker's note in clear; Cabinet's own client reads them back."""

import httpx
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from cabinet_common.obligation_workflow import ObligationInput
from cabinet_common.temporal import connect
from cabinet_common.temporal_codec import ENCODING
from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department
from tests.integration.helpers import obligation_in_status, receipt_line, submit, unique_file

NOTE = "Spoke to the finance director on her mobile; premises closed after the flood"


def workflow_id(department: Department, filer_id: str) -> str:
    return str(department.obligations[filer_id]["workflow_id"])


async def raw_history(client: Client, workflow: str) -> list[HistoryEvent]:
    history = await client.get_workflow_handle(workflow).fetch_history()
    return list(history.events)


async def test_a_filed_returns_history_holds_no_email_or_note_in_clear(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    filed_id = department.obligation_id("filer-a")
    response = await submit(
        intake,
        department.id,
        filed_id,
        [receipt_line(department.day(0), 1250, payee="Harbourside Stationers")],
        [unique_file("encrypted history")],
    )
    assert response.status_code == 202, response.text
    await obligation_in_status(cycles, department.id, filed_id, "accepted")
    waived_id = department.obligation_id("filer-b")
    waived = await cycles.post(
        f"/departments/{department.id}/obligations/{waived_id}/waive", json={"reason": NOTE}
    )
    assert waived.status_code == 200, waived.text

    # A client without Cabinet's codec sees what the server stores.
    plain = await Client.connect(stack.config.temporal_address)
    secrets = {
        "filer-a": [b"returns@filer-a.example", b"Filer A", b"Harbourside"],
        "filer-b": [b"returns@filer-b.example", b"Filer B", NOTE.encode(), b"flood"],
    }
    for filer_id, words in secrets.items():
        events = await raw_history(plain, workflow_id(department, filer_id))
        assert len(events) > 5
        raw = b"".join(event.SerializeToString() for event in events)
        assert [word for word in words if word in raw] == [], filer_id
        assert b".example" not in raw  # the domain of every seeded contact email
        started = events[0].workflow_execution_started_event_attributes
        [payload] = started.input.payloads
        assert payload.metadata["encoding"] == ENCODING

    # Cabinet's client (the worker's and cycles' converter) reads the same history.
    cabinet = await connect(stack.config.temporal_settings())
    events = await raw_history(cabinet, workflow_id(department, "filer-a"))
    started = events[0].workflow_execution_started_event_attributes
    [obligation] = await cabinet.data_converter.decode(
        list(started.input.payloads), [ObligationInput]
    )
    assert obligation.contact_email == "returns@filer-a.example"
