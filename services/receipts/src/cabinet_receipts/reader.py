"""The reader: takes the submissions waiting in pending_checks, oldest first, reads each
receipt's document in the bounded worker pool (never on the event loop, each file within
time and memory limits), keeps the readings, then checks the submission and publishes its
ReceiptsChecked in one transaction that also removes it from pending_checks.

A file that breaks a limit or cannot be read at all gets a reading with its problem (the
check flags it RECEIPT_NOT_READABLE): a submission is never lost or stuck on one file. A
file already read for another receipt of the department is not read again."""

import asyncio
import time
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import UTC, datetime

import structlog
from sqlalchemy import select, update

from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.bounded import BoundedPool, TaskFailed
from cabinet_common.database import Sessions
from cabinet_common.evidence import EvidenceNotFound, EvidenceStore
from cabinet_common.reading import Page, Reading, read_receipt
from cabinet_receipts.event_handlers import definition_of, record_check
from cabinet_receipts.tables import PendingCheck, ReceiptReadingRecord

log = structlog.get_logger(__name__)


def to_reading(record: ReceiptReadingRecord) -> Reading:
    pages = tuple(Page(**page) for page in record.pages)  # type: ignore[arg-type]
    return Reading(pages, record.problem, record.seconds)


class ReceiptReader:
    def __init__(
        self, sessions: Sessions, store: EvidenceStore, pool: BoundedPool, poll_s: float = 0.3
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._pool = pool
        self._poll_s = poll_s

    async def run(self) -> None:
        while True:
            try:
                worked = await self.work_once()
            except Exception:
                # A database hiccup: the pending check is still there, try it again.
                log.exception("reading a pending submission failed; retrying")
                worked = False
            if not worked:
                await asyncio.sleep(self._poll_s)

    async def work_once(self) -> bool:
        """Read and check the oldest pending submission; False if none was waiting."""
        async with self._sessions() as session:
            pending = await session.scalar(
                select(PendingCheck).order_by(PendingCheck.received_at).limit(1)
            )
        if pending is None:
            return False
        try:
            await self._check(pending)
        except Exception:
            # E.g. its form-type version is not known yet: later submissions must not wait
            # behind it, so it goes to the back of the queue and is tried again.
            log.exception("checking a pending submission failed; retrying it later")
            await self._to_back_of_queue(pending)
            return False
        return True

    async def _to_back_of_queue(self, pending: PendingCheck) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(PendingCheck)
                .where(
                    PendingCheck.submission_id == pending.submission_id,
                    PendingCheck.version == pending.version,
                )
                .values(received_at=datetime.now(UTC))
            )

    async def _check(self, pending: PendingCheck) -> None:
        submitted = submissions_pb2.FormSubmitted.FromString(pending.payload)
        readings = await self._readings(submitted)
        async with self._sessions.begin() as session:
            row = await session.get(PendingCheck, (pending.submission_id, pending.version))
            if row is None:
                return  # another replica checked it meanwhile
            definition = await definition_of(session, submitted)
            await record_check(session, submitted, definition, row.event_key, readings)
            await session.delete(row)

    async def _readings(self, submitted: submissions_pb2.FormSubmitted) -> dict[str, Reading]:
        department = submitted.obligation.department_id
        lines = list(submitted.receipts)
        async with self._sessions() as session:
            known = (
                await session.scalars(
                    select(ReceiptReadingRecord).where(
                        ReceiptReadingRecord.department_id == department,
                        ReceiptReadingRecord.file_sha256.in_({ln.file_sha256 for ln in lines}),
                    )
                )
            ).all()
        by_file = {record.file_sha256: to_reading(record) for record in known}
        already = {record.receipt_id for record in known}
        to_read = {line.file_sha256: line for line in lines if line.file_sha256 not in by_file}
        read = await asyncio.gather(*(self._read(line) for line in to_read.values()))
        by_file.update(zip(to_read, read, strict=True))
        new = [line for line in lines if line.receipt_id not in already]
        if new:
            async with self._sessions.begin() as session:
                for line in new:
                    await session.merge(_record(department, line, by_file[line.file_sha256]))
        return {line.receipt_id: by_file[line.file_sha256] for line in lines}

    async def _read(self, line: submissions_pb2.ReceiptLine) -> Reading:
        started = time.monotonic()
        try:
            content = await asyncio.to_thread(self._store.read, line.file_sha256)
            reading = await self._pool.run(read_receipt, content, line.media_type)
        except EvidenceNotFound:
            reading = Reading(problem="the file is not in the evidence store")
        except TaskFailed as error:
            reading = Reading(problem=str(error))
        seconds = round(time.monotonic() - started, 3)
        log.info(
            "receipt read",
            receipt_id=line.receipt_id,
            media_type=line.media_type,
            method=reading.method,
            seconds=seconds,
            problem=reading.problem or None,
        )
        return replace(reading, seconds=seconds)


def _record(
    department: str, line: submissions_pb2.ReceiptLine, reading: Reading
) -> ReceiptReadingRecord:
    return ReceiptReadingRecord(
        department_id=department,
        receipt_id=line.receipt_id,
        file_sha256=line.file_sha256,
        media_type=line.media_type,
        pages=_pages(reading.pages),
        problem=reading.problem,
        seconds=reading.seconds,
        read_at=datetime.now(UTC),
    )


def _pages(pages: Iterable[Page]) -> list[dict[str, object]]:
    return [asdict(page) for page in pages]
