"""The audit chains in the cycles database: append a record, read a chain, seal its pack.

Appends run inside the caller's transaction (the consumer's, with the event's
``processed_events`` row), so a record is written exactly when its event is processed.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.database import serialize
from cabinet_common.signing import Signer
from cabinet_cycles.audit.chain import (
    AuditEntry,
    AuditRecord,
    AuditScope,
    ChainHead,
    canonical_json,
    next_record,
)
from cabinet_cycles.audit.pack import seal
from cabinet_cycles.audit.tables import AuditChain, AuditRecordRow, SealedAuditPack


def _key(scope: AuditScope) -> tuple[str, str, str]:
    return scope.department_id, scope.form_type_id, scope.period_key


def _in_scope(scope: AuditScope) -> ColumnElement[bool]:
    return and_(
        AuditRecordRow.department_id == scope.department_id,
        AuditRecordRow.form_type_id == scope.form_type_id,
        AuditRecordRow.period_key == scope.period_key,
    )


async def append(session: AsyncSession, scope: AuditScope, entry: AuditEntry) -> AuditRecord | None:
    """Add the entry at the end of the scope's chain; None if its event is already there."""
    # Appenders to one chain take turns, the first ones too (which create its row: with
    # only a row lock, two of them raced on its primary key and one was retried).
    await serialize(session, "audit-chain", *_key(scope))
    chain = await session.get(AuditChain, _key(scope))
    if chain is None:
        genesis = ChainHead.genesis(scope)
        chain = AuditChain(
            department_id=scope.department_id,
            form_type_id=scope.form_type_id,
            period_key=scope.period_key,
            length=genesis.length,
            head_hash=genesis.head_hash,
        )
        session.add(chain)
    already = await session.scalar(
        select(AuditRecordRow.sequence).where(
            _in_scope(scope), AuditRecordRow.event_id == entry.event_id
        )
    )
    if already is not None:
        return None
    record = next_record(
        ChainHead(scope=scope, length=chain.length, head_hash=chain.head_hash), entry
    )
    session.add(
        AuditRecordRow(
            department_id=scope.department_id,
            form_type_id=scope.form_type_id,
            period_key=scope.period_key,
            sequence=record.sequence,
            event_id=record.event_id,
            hash=record.hash,
            document=canonical_json(record.model_dump(mode="json")).decode(),
        )
    )
    chain.length = record.sequence
    chain.head_hash = record.hash
    return record


async def records(session: AsyncSession, scope: AuditScope) -> list[AuditRecord]:
    documents = await session.scalars(
        select(AuditRecordRow.document).where(_in_scope(scope)).order_by(AuditRecordRow.sequence)
    )
    return [AuditRecord.model_validate_json(document) for document in documents]


async def sealed_pack(session: AsyncSession, scope: AuditScope) -> bytes | None:
    pack = await session.get(SealedAuditPack, _key(scope))
    return pack.document if pack is not None else None


async def seal_period(
    session: AsyncSession, scope: AuditScope, signer: Signer, sealed_at: datetime
) -> bytes:
    """Seal the closed period's chain once; later calls return the pack sealed first."""
    stored = await session.get(SealedAuditPack, _key(scope), with_for_update=True)
    if stored is not None:
        return stored.document
    pack = seal(scope, await records(session, scope), signer, sealed_at, period_closed=True)
    document = pack.to_json()
    session.add(
        SealedAuditPack(
            department_id=scope.department_id,
            form_type_id=scope.form_type_id,
            period_key=scope.period_key,
            sealed_at=sealed_at,
            document=document,
        )
    )
    return document
