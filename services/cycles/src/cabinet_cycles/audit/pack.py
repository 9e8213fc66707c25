"""The audit pack: a chain's records with a signed manifest that names its head, so anyone
holding the pack and Cabinet's public key can check that nothing was altered since sealing.

    {"manifest": {...}, "records": [...], "signature": "<base64 Ed25519 over the manifest>"}

The manifest's signature covers its canonical JSON; ``records_sha256`` covers the canonical
JSON of the records list. The pack itself is serialized canonically too (``to_json``), so
the same pack is always the same bytes.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from cabinet_common.signing import ALGORITHM, Signer
from cabinet_cycles.audit.chain import (
    AuditRecord,
    AuditScope,
    UtcInstant,
    canonical_json,
    sha256_hex,
)


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: AuditScope
    record_count: int
    first_sequence: int
    last_sequence: int
    chain_head: str
    records_sha256: str
    sealed_at: UtcInstant
    # True for the pack sealed when the period closed; false for a snapshot of a chain
    # that may still grow.
    period_closed: bool
    key_id: str
    algorithm: str


class AuditPack(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    manifest: Manifest
    records: list[AuditRecord]
    signature: str

    def to_json(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))


def records_sha256(records: list[AuditRecord]) -> str:
    return sha256_hex(canonical_json([record.model_dump(mode="json") for record in records]))


def seal(
    scope: AuditScope,
    records: list[AuditRecord],
    signer: Signer,
    sealed_at: datetime,
    *,
    period_closed: bool,
) -> AuditPack:
    manifest = Manifest(
        scope=scope,
        record_count=len(records),
        first_sequence=records[0].sequence if records else 0,
        last_sequence=records[-1].sequence if records else 0,
        chain_head=records[-1].hash if records else scope.genesis_hash,
        records_sha256=records_sha256(records),
        sealed_at=sealed_at,
        period_closed=period_closed,
        key_id=signer.key_id,
        algorithm=ALGORITHM,
    )
    signature = signer.sign(canonical_json(manifest.model_dump(mode="json")))
    return AuditPack(manifest=manifest, records=records, signature=signature)
