"""The cycles bridge turns FormSubmitted into the obligation workflow's SubmissionReceived
signal, saying how the version arrived: on paper and keyed by whom, or online (which is
also what an event from a producer older than the paper channel means); and ReceiptsChecked
into the ReceiptsChecked signal, each reason keeping the question it concerns."""

from typing import Any, cast

import pytest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2
from cabinet_common.events import Event
from cabinet_common.obligation_workflow import (
    SIGNAL_RECEIPTS_CHECKED,
    SIGNAL_SUBMISSION_RECEIVED,
    ReasonModel,
    ReceiptsCheckedSignal,
    SubmissionReceived,
)
from cabinet_cycles import event_handlers
from cabinet_cycles.event_handlers import CyclesEventHandlers
from cabinet_cycles.tables import Obligation

OBLIGATION_ID = "obligation-1"


class FakeSession:
    def __init__(self) -> None:
        self.obligation = Obligation(obligation_id=OBLIGATION_ID)

    async def get(
        self, _table: type, obligation_id: str, with_for_update: bool = False
    ) -> Obligation | None:
        return self.obligation if obligation_id == OBLIGATION_ID else None


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, BaseModel | None]]:
    sent: list[tuple[str | None, BaseModel | None]] = []

    async def start(
        _client: Client,
        _task_queue: str,
        _obligation: Obligation,
        signal: str | None = None,
        argument: BaseModel | None = None,
    ) -> None:
        sent.append((signal, argument))

    monkeypatch.setattr(event_handlers, "start_obligation_workflow", start)
    return sent


def form_submitted(**how: Any) -> Event:
    payload = events_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(obligation_id=OBLIGATION_ID),
        submission_id="submission-1",
        version=2,
        **how,
    )
    return Event(payload=payload, key=OBLIGATION_ID, source="/test")


@pytest.mark.parametrize(
    ("how", "channel", "keyed_by"),
    [
        ({"channel": "paper", "keyed_by": "caseworker-1"}, "paper", "caseworker-1"),
        ({"channel": "online"}, "online", None),
        ({}, "online", None),  # from a producer older than the paper channel
    ],
)
async def test_the_signal_says_how_the_version_arrived(
    signals: list[tuple[str | None, BaseModel | None]],
    how: dict[str, str],
    channel: str,
    keyed_by: str | None,
) -> None:
    handlers = CyclesEventHandlers(cast(Client, None), "cabinet-obligations")
    session = FakeSession()
    signal = await handlers.form_submitted_signal(
        cast(AsyncSession, session), form_submitted(**how)
    )
    assert signals == []  # read first, with no call to Temporal inside the session
    await handlers.deliver(signal)
    await handlers.record_submission(cast(AsyncSession, session), signal)

    assert signals == [
        (
            SIGNAL_SUBMISSION_RECEIVED,
            SubmissionReceived(
                submission_id="submission-1", version=2, channel=channel, keyed_by=keyed_by
            ),
        )
    ]
    assert session.obligation.submission_id == "submission-1"


async def test_the_check_result_signal_keeps_the_question_each_reason_concerns(
    signals: list[tuple[str | None, BaseModel | None]],
) -> None:
    """ReceiptsChecked -> ReceiptsCheckedSignal: a reason's field_id reaches the workflow."""
    total = types_pb2.Reason(
        code=types_pb2.REASON_CODE_TOTAL_MISMATCH, message="Box 3 is wrong", field_id="box3"
    )
    outside = types_pb2.Reason(code=types_pb2.REASON_CODE_DATE_OUTSIDE_PERIOD, message="Q2")
    payload = receipts_pb2.ReceiptsChecked(
        obligation=types_pb2.ObligationRef(obligation_id=OBLIGATION_ID),
        submission_id="submission-1",
        version=2,
        submission_sha256="ab" * 32,
        receipts=[receipts_pb2.ReceiptCheck(receipt_id="r1", accepted=False, reasons=[outside])],
        submission_reasons=[total],
    )
    handlers = CyclesEventHandlers(cast(Client, None), "cabinet-obligations")
    await handlers.deliver(
        await handlers.receipts_checked_signal(
            cast(AsyncSession, FakeSession()),
            Event(payload=payload, key=OBLIGATION_ID, source="/test"),
        )
    )

    [(name, signal)] = signals
    assert name == SIGNAL_RECEIPTS_CHECKED
    assert isinstance(signal, ReceiptsCheckedSignal)
    assert signal.submission_reasons == [
        ReasonModel(code="TOTAL_MISMATCH", message="Box 3 is wrong", field_id="box3")
    ]
    assert signal.receipts[0].reasons == [
        ReasonModel(code="DATE_OUTSIDE_PERIOD", message="Q2", field_id=None)
    ]
