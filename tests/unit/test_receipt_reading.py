"""Reading receipts in the receipts service: each typed line against what its document
says (flags for a caseworker, never a return), and the reader that reads pending
submissions in the bounded pool, keeps the readings and publishes the check."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.bounded import BoundedPool, Limits
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.events import Event
from cabinet_common.evidence import LocalEvidenceStore
from cabinet_common.form_types.definition import FormTypeDefinition, ReadingChecks
from cabinet_common.known_form_types import KnownFormType
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.migrations import migrate_engine
from cabinet_common.problems import install as install_problems
from cabinet_common.reading import Page, Reading
from cabinet_common.service import ServiceRuntime
from cabinet_receipts.api import router
from cabinet_receipts.checks import check_submission
from cabinet_receipts.event_handlers import on_form_submitted
from cabinet_receipts.migrations import SCHEMA
from cabinet_receipts.reader import ReceiptReader
from cabinet_receipts.reading_checks import compare
from cabinet_receipts.tables import PendingCheck, ReceiptReadingRecord
from tests import receipt_corpus
from tests.auth_support import MACHINE, trust_test_tokens
from tests.unit.form_type_examples import example_document
from tests.unit.test_receipt_cases import form, line

C = types_pb2.ReasonCode
RECEIPT = """THE BOOKSHOP LTD
4 Station Road, York
Date: 10/02/2026 14:02
Novel 8.99
Map 4.50
Subtotal 13.49
VAT 20% 2.70
TOTAL £16.19
Thank you"""


def typed(
    pence: int = 1619, day: str = "2026-02-10", payee: str = "The Bookshop"
) -> submissions_pb2.ReceiptLine:
    return line(pence=pence, day=day, payee=payee)


def read_as(text: str, confidence: float = 93.0, words: int = 20) -> Reading:
    return Reading((Page(text, "ocr", confidence, words),))


def codes(flags: list[types_pb2.Reason]) -> list[int]:
    return [flag.code for flag in flags]


def test_a_genuine_line_raises_no_flag_and_the_reading_shows_its_total() -> None:
    flags, reading = compare(typed(), read_as(RECEIPT), ReadingChecks())
    assert flags == []
    assert reading.readable and reading.payee == "THE BOOKSHOP LTD"
    assert reading.claimed_pence == 1619
    matched = [a for a in reading.amounts if a.matches_line]
    assert [(a.pence, a.total) for a in matched] == [(1619, True)]
    assert reading.text[matched[0].start : matched[0].end] == "£16.19"
    assert [(d.date, d.matches_line) for d in reading.dates] == [("2026-02-10", True)]


def test_a_wrong_amount_is_flagged_with_what_the_receipt_is_for() -> None:
    flags, reading = compare(typed(pence=16190), read_as(RECEIPT), ReadingChecks())
    assert codes(flags) == [C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT]
    assert flags[0].message == "The receipt is for £16.19, not the £161.90 entered"
    assert not any(a.matches_line for a in reading.amounts)


def test_any_amount_on_the_receipt_confirms_a_line_within_the_tolerance() -> None:
    assert compare(typed(pence=899), read_as(RECEIPT), ReadingChecks())[0] == []
    near = ReadingChecks(amount_tolerance_pence=5)
    assert compare(typed(pence=1622), read_as(RECEIPT), near)[0] == []
    assert codes(compare(typed(pence=1625), read_as(RECEIPT), near)[0]) == [
        C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT
    ]


def test_a_total_read_with_a_pence_digit_ocr_confuses_confirms_the_line() -> None:
    # TOTAL £16.19 on the receipt: a 7 printed is often read as 1.
    assert compare(typed(pence=1679), read_as(RECEIPT), ReadingChecks())[0] == []
    for wrong in (1612, 1719, 7619):  # not a confusion of the total's pence
        assert codes(compare(typed(pence=wrong), read_as(RECEIPT), ReadingChecks())[0]) == [
            C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT
        ]


def test_last_years_receipt_is_flagged_for_its_date() -> None:
    flags, _ = compare(typed(day="2026-02-11"), read_as(RECEIPT), ReadingChecks())
    assert codes(flags) == [C.REASON_CODE_DATE_NOT_ON_RECEIPT]
    assert (
        flags[0].message == "The receipt is dated 10 February 2026, not 11 February 2026 as entered"
    )
    assert (
        compare(typed(day="2026-02-11"), read_as(RECEIPT), ReadingChecks(date_tolerance_days=1))[0]
        == []
    )


def test_a_payee_the_receipt_does_not_name_is_flagged_fuzzily() -> None:
    assert compare(typed(payee="Bookshop"), read_as(RECEIPT), ReadingChecks())[0] == []
    assert compare(typed(payee="The Bokshop Ltd."), read_as(RECEIPT), ReadingChecks())[0] == []
    flags, _ = compare(typed(payee="Quick Cabs"), read_as(RECEIPT), ReadingChecks())
    assert codes(flags) == [C.REASON_CODE_PAYEE_NOT_ON_RECEIPT]
    assert (
        flags[0].message
        == "The receipt does not name Quick Cabs: it reads as from THE BOOKSHOP LTD"
    )
    assert (
        compare(typed(payee="Quick Cabs"), read_as(RECEIPT), ReadingChecks(check_payee=False))[0]
        == []
    )


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        (read_as("e ae ~ oe sss", confidence=31.0, words=1), "Nothing legible could be read"),
        (read_as(RECEIPT, confidence=45.0), "Nothing legible could be read"),
        (Reading(problem="it took longer than 20 s"), "The receipt could not be read: it took"),
    ],
)
def test_an_unreadable_receipt_gets_one_flag_and_no_other(reading: Reading, message: str) -> None:
    flags, summary = compare(typed(pence=1), reading, ReadingChecks())
    assert codes(flags) == [C.REASON_CODE_RECEIPT_NOT_READABLE]
    assert flags[0].message.startswith(message)
    assert not summary.readable


def reading_form_type() -> FormTypeDefinition:
    document = example_document("vat-return")
    document["receipt_checks"] = {"reading": {}}
    return FormTypeDefinition.model_validate(document)


def test_reading_flags_hold_a_line_for_a_caseworker_without_returning_it() -> None:
    definition = reading_form_type().model_copy(update={"rules": []})
    submitted = form([typed(pence=16190)])
    checks, _ = check_submission(submitted, {}, definition, readings={"r1": read_as(RECEIPT)})
    assert checks[0].accepted
    assert codes(list(checks[0].flags)) == [C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT]
    assert checks[0].reading.claimed_pence == 1619
    # A form type that does not read receipts gets no reading and no such flag.
    plain = definition.model_copy(
        update={"receipt_checks": definition.receipt_checks.model_copy(update={"reading": None})}
    )
    checks, _ = check_submission(submitted, {}, plain, readings={"r1": read_as(RECEIPT)})
    assert list(checks[0].flags) == [] and not checks[0].HasField("reading")


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'receipts.db'}")
    await migrate_engine(engine, SCHEMA)
    yield session_factory(engine)
    await engine.dispose()


async def published(sessions: Sessions) -> list[receipts_pb2.ReceiptsChecked]:
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    return [receipts_pb2.ReceiptsChecked.FromString(row.value) for row in rows]


async def test_the_reader_reads_pending_receipts_in_the_pool_and_publishes_the_check(
    sessions: Sessions, tmp_path: Path
) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    samples = receipt_corpus.make_corpus(3, seed=11, mismatched_share=0)
    genuine, text_pdf = samples[0], samples[2]
    assert text_pdf.kind == "text-pdf"
    lines = []
    for number, sample in enumerate([genuine, text_pdf, genuine]):
        receipt = submissions_pb2.ReceiptLine(
            receipt_id=f"r{number}",
            file_sha256=store.put(sample.content),
            media_type=sample.media_type,
            size_bytes=len(sample.content),
            date=sample.date.isoformat(),
            amount_pence=sample.typed_pence if number < 2 else sample.typed_pence * 10,
            currency="GBP",
            payee=sample.payee,
            category="office",
        )
        lines.append(receipt)
    submitted = form(lines)
    submitted.period_start, submitted.period_end = "2026-07-01", "2026-12-31"
    submitted.submitted_at.FromDatetime(datetime(2026, 12, 31, tzinfo=UTC))
    submitted.form_type_version = 1
    submitted.obligation.form_type_id = "vat"
    async with sessions.begin() as session:
        session.add(
            KnownFormType(
                department_id="d",
                form_type_id="vat",
                version=1,
                definition=reading_form_type().model_dump(mode="json"),
            )
        )
    async with sessions.begin() as session:
        await on_form_submitted(session, Event(payload=submitted, key="obl", source="/test"))
    assert await published(sessions) == []  # waiting for the reader, not checked inline

    reader = ReceiptReader(sessions, store, BoundedPool(workers=2))
    assert await reader.work_once()
    assert not await reader.work_once()  # nothing left pending
    [checked] = await published(sessions)
    photo, pdf, wrong = checked.receipts
    assert list(photo.flags) == [] and photo.reading.method == "ocr", photo
    assert list(pdf.flags) == [] and pdf.reading.method == "text layer", pdf
    assert codes(list(wrong.flags)) == [C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT]
    assert wrong.reading.text == photo.reading.text  # one file, read once
    async with sessions() as session:
        assert await session.scalar(select(PendingCheck)) is None
        records = (await session.scalars(select(ReceiptReadingRecord))).all()
    assert sorted(r.receipt_id for r in records) == ["r0", "r1", "r2"]

    # The reading, searchable per receipt, on the receipts API.
    app = FastAPI()
    install_problems(app)
    trust_test_tokens(app)
    app.include_router(router)
    app.state.runtime = ServiceRuntime(engine=None, sessions=sessions)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=MACHINE
    ) as client:
        body = (
            await client.get("/departments/d/receipts/r1/reading", params={"q": "total"})
        ).json()
        assert body["method"] == "text layer"
        assert body["payee"].casefold() == text_pdf.printed_payee.casefold()
        assert [m["text"].split()[0].lower() for m in body["matches"]] == ["subtotal", "total"]
        assert (await client.get("/departments/other/receipts/r1/reading")).status_code == 404


async def test_a_receipt_that_takes_too_long_is_flagged_never_lost(
    sessions: Sessions, tmp_path: Path
) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    sample = receipt_corpus.make_corpus(1, seed=3)[0]
    receipt = typed()
    receipt.file_sha256 = store.put(sample.content)
    receipt.media_type = sample.media_type
    missing = typed(pence=250)
    missing.receipt_id, missing.file_sha256 = "r2", "0" * 64
    submitted = form([receipt, missing])
    submitted.form_type_version = 1
    submitted.obligation.form_type_id = "vat"
    async with sessions.begin() as session:
        session.add(
            KnownFormType(
                department_id="d",
                form_type_id="vat",
                version=1,
                definition=reading_form_type().model_dump(mode="json"),
            )
        )
        await on_form_submitted(session, Event(payload=submitted, key="obl", source="/test"))
    slow = BoundedPool(workers=1, limits=Limits(timeout_s=0.05))
    assert await ReceiptReader(sessions, store, slow).work_once()
    [checked] = await published(sessions)
    assert [codes(list(r.flags)) for r in checked.receipts] == [
        [C.REASON_CODE_RECEIPT_NOT_READABLE],
        [C.REASON_CODE_RECEIPT_NOT_READABLE],
    ]
    assert checked.receipts[0].reading.problem == "it took longer than 0.05 s"
    assert checked.receipts[1].reading.problem == "the file is not in the evidence store"
