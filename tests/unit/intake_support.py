"""Intake's API in process, on a SQLite file: a client for its routes, with the events it
would have consumed delivered straight to its handlers and the events it published read
back from its outbox."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.events import Event, from_kafka
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.migrations import migrate_engine
from cabinet_intake.app import create_app
from cabinet_intake.event_handlers import on_submission_returned
from cabinet_intake.migrations import SCHEMA
from cabinet_intake.settings import IntakeSettings
from cabinet_intake.tables import KnownObligation
from tests import receipt_files
from tests.auth_support import MACHINE, trust_test_tokens

DEPARTMENT = "dept"
OBLIGATION = "obl-1"
BASE = f"/departments/{DEPARTMENT}"


class Intake:
    def __init__(self, client: httpx.AsyncClient, sessions: Sessions) -> None:
        self.client = client
        self.sessions = sessions

    async def submit(
        self,
        lines: list[dict[str, Any]],
        key: str | None = None,
        files: list[bytes] | None = None,
        file_names: list[str] | None = None,
        caller: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {
            "answers": {"box1": "100"},
            "declared_total_pence": sum(line["amount_pence"] for line in lines),
            "receipts": lines,
            **extra,
        }
        sent = files if files is not None else [receipt_files.pdf() for _ in lines]
        names = file_names or [f"r{i}.pdf" for i in range(len(sent))]
        return await self.client.post(
            f"{BASE}/obligations/{OBLIGATION}/submissions",
            data={"submission": json.dumps(body)},
            files=[
                ("receipts", (name, f, "application/pdf"))
                for name, f in zip(names, sent, strict=True)
            ],
            headers={"Idempotency-Key": key or str(uuid.uuid4()), **(caller or {})},
        )

    async def returned(
        self, submission_id: str, version: int, receipts: dict[str, str], event_id: str = ""
    ) -> None:
        """Deliver a SubmissionReturned, as the consumer would."""
        at = Timestamp()
        at.FromDatetime(datetime(2026, 9, 2, tzinfo=UTC))
        payload = obligations_pb2.SubmissionReturned(
            obligation=types_pb2.ObligationRef(obligation_id=OBLIGATION),
            submission_id=submission_id,
            version=version,
            reasons=[
                types_pb2.Reason(
                    code=types_pb2.REASON_CODE_TOTAL_MISMATCH, message="Wrong", field_id="box1"
                )
            ],
            returned_receipts=[
                obligations_pb2.ReturnedReceipt(
                    receipt_id=receipt_id,
                    reasons=[
                        types_pb2.Reason(
                            code=types_pb2.REASON_CODE_DATE_OUTSIDE_PERIOD, message=message
                        )
                    ],
                )
                for receipt_id, message in receipts.items()
            ],
            returned_at=at,
        )
        event = Event(payload=payload, key=OBLIGATION, source="/test", id=event_id or "e-1")
        async with self.sessions() as session, session.begin():
            await on_submission_returned(session, event)

    async def form_submitted(self) -> list[submissions_pb2.FormSubmitted]:
        async with self.sessions() as session:
            rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        events = [from_kafka(r.key, r.value, [(k, v.encode()) for k, v in r.headers]) for r in rows]
        return [e.payload_as(submissions_pb2.FormSubmitted) for e in events]


@asynccontextmanager
async def running_intake(
    tmp_path: Path, database_url: str = "", **overrides: Any
) -> AsyncIterator[Intake]:
    """Intake's app in process on a SQLite file (or the database given), with one
    obligation it knows of; `overrides` are settings."""
    settings = IntakeSettings(
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        evidence_dir=tmp_path / "evidence",
        **overrides,
    )
    settings.evidence_dir.mkdir()
    engine = create_engine(settings.database_url)
    await migrate_engine(engine, SCHEMA)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(
            KnownObligation(
                obligation_id=OBLIGATION,
                department_id=DEPARTMENT,
                form_type_id="vat-return",
                filer_id="filer-a",
                period_key="2026-Q3",
                period_start=date(2026, 7, 1),
                period_end=date(2026, 9, 30),
                due_date=date(2026, 11, 7),
                form_type_version=0,  # no form type: the answers are not checked here
            )
        )
    app = create_app(settings)
    trust_test_tokens(app)
    # The routes need only the runtime's sessions; Kafka stays out of it.
    app.state.runtime = SimpleNamespace(sessions=sessions, messaging=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://intake", headers=MACHINE
    ) as client:
        yield Intake(client, sessions)
    await engine.dispose()


def line(day: str, pence: int, payee: str = "Stationers Ltd") -> dict[str, Any]:
    return {"date": day, "amount_pence": pence, "payee": payee, "category": "office"}
