"""Audit chains and packs for the audit tests."""

from datetime import UTC, datetime, timedelta

from cabinet_common.signing import Signer, generate_seed
from cabinet_cycles.audit.chain import (
    AuditEntry,
    AuditReason,
    AuditRecord,
    AuditScope,
    ChainHead,
    next_record,
)
from cabinet_cycles.audit.pack import AuditPack, seal

SCOPE = AuditScope(department_id="demo", form_type_id="vat-return", period_key="2026-Q4")
SIGNER = Signer.from_config(generate_seed())
SEALED_AT = datetime(2027, 3, 31, 23, 0, tzinfo=UTC)
_STEPS = [
    ("open", "submitted", "system", "Version 1 submitted with 2 receipt(s)"),
    ("submitted", "checking", "system", "Checking 2 receipt(s)"),
    ("checking", "returned", "system", "1 receipt returned"),
    ("returned", "submitted", "system", "Version 2 submitted"),
    ("submitted", "accepted", "caseworker-7", "Checked by hand: the café receipt is fine"),
]


def entry(number: int, event_id: str | None = None) -> AuditEntry:
    from_status, to_status, actor, reason = _STEPS[(number - 1) % len(_STEPS)]
    return AuditEntry(
        recorded_at=datetime(2026, 10, 1, 9, 0, tzinfo=UTC) + timedelta(hours=number),
        event_id=event_id or f"event-{number}",
        obligation_id=f"obligation-{number % 3}",
        filer_id=f"filer-{number % 3}",
        actor=actor,
        action="status_changed",
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        reasons=(
            (AuditReason(code="TOTAL_MISMATCH", message="The total is 1p out"),)
            if to_status == "returned"
            else ()
        ),
        submission_version=1 + number // 4,
    )


def chain(length: int, scope: AuditScope = SCOPE) -> list[AuditRecord]:
    head = ChainHead.genesis(scope)
    records = []
    for number in range(1, length + 1):
        record = next_record(head, entry(number))
        records.append(record)
        head = ChainHead(scope=scope, length=record.sequence, head_hash=record.hash)
    return records


def pack(length: int = 5, signer: Signer = SIGNER) -> AuditPack:
    return seal(SCOPE, chain(length), signer, SEALED_AT, period_closed=True)
