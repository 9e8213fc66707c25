"""One quarter's audit chain: each record carries the SHA-256 of the record before it, so a
record cannot be edited, removed, inserted or moved without breaking the links after it.

A record's hash is SHA-256 (hex) of its canonical JSON without the ``hash`` field: keys
sorted, no whitespace, UTF-8. The first record's ``prev_hash`` is the scope's genesis hash.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _in_utc(value: datetime) -> datetime:
    # One spelling per instant, so a hash does not depend on the writer's time zone.
    if value.tzinfo is None:
        raise ValueError("must be timezone-aware")
    return value.astimezone(UTC)


UtcInstant = Annotated[datetime, AfterValidator(_in_utc)]


class AuditScope(BaseModel):
    """Whose chain: one department's form type for one period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    department_id: str
    form_type_id: str
    period_key: str

    @property
    def genesis_hash(self) -> str:
        return sha256_hex(b"cabinet-audit-genesis\n" + canonical_json(self.model_dump()))


class AuditReason(BaseModel):
    # The audit format's own copy of a coded reason: records hashed today must still hash
    # the same after the workflow's models change.
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    message: str


class AuditEntry(BaseModel):
    """What happened, as the source event tells it; the chain adds its place and hashes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recorded_at: UtcInstant
    event_id: str
    obligation_id: str
    filer_id: str
    actor: str
    action: str
    from_status: str
    to_status: str
    reason: str
    reasons: tuple[AuditReason, ...] = ()
    submission_version: int = 0


class AuditRecord(AuditEntry):
    scope: AuditScope
    sequence: int = Field(ge=1)
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        """The record as it is hashed: its JSON form without ``hash``."""
        return self.model_dump(mode="json", exclude={"hash"})


def record_hash(content: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(content))


class ChainHead(BaseModel):
    """Where a chain stands: how many records, and the hash of the last one."""

    scope: AuditScope
    length: int
    head_hash: str

    @classmethod
    def genesis(cls, scope: AuditScope) -> "ChainHead":
        return cls(scope=scope, length=0, head_hash=scope.genesis_hash)


def next_record(head: ChainHead, entry: AuditEntry) -> AuditRecord:
    record = AuditRecord(
        **entry.model_dump(),
        scope=head.scope,
        sequence=head.length + 1,
        prev_hash=head.head_hash,
        hash="",
    )
    return record.model_copy(update={"hash": record_hash(record.content())})
