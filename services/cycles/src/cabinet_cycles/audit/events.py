"""From the events on Kafka to audit entries: which chain, and what to record."""

from datetime import UTC, datetime

from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet_common.events import Event
from cabinet_common.obligation_workflow import ReasonModel
from cabinet_common.reasons import to_model
from cabinet_cycles.audit.chain import AuditEntry, AuditReason, AuditScope

# ObligationStatusChanged names no action of its own: each one records a status change.
STATUS_CHANGED = "status_changed"


def _audit_reason(model: ReasonModel) -> AuditReason:
    return AuditReason(code=model.code, message=model.message)


def status_change(event: Event) -> tuple[AuditScope, AuditEntry]:
    changed = event.payload_as(obligations_pb2.ObligationStatusChanged)
    obligation = changed.obligation
    scope = AuditScope(
        department_id=obligation.department_id,
        form_type_id=obligation.form_type_id,
        period_key=obligation.period_key,
    )
    entry = AuditEntry(
        recorded_at=changed.changed_at.ToDatetime(tzinfo=UTC),
        event_id=event.id,
        obligation_id=obligation.obligation_id,
        filer_id=obligation.filer_id,
        actor=changed.actor,
        action=STATUS_CHANGED,
        from_status=changed.from_status,
        to_status=changed.to_status,
        reason=changed.reason,
        # Code and message only: the audit format (and so every record's hash) stays as it was.
        reasons=tuple(_audit_reason(to_model(r)) for r in changed.reasons),
        submission_version=changed.submission_version,
    )
    return scope, entry


def quarter_closed(event: Event) -> tuple[AuditScope, datetime]:
    """The chain a QuarterClosed event closes, and when it closed (the pack's sealed_at)."""
    closed = event.payload_as(obligations_pb2.QuarterClosed)
    scope = AuditScope(
        department_id=closed.department_id,
        form_type_id=closed.form_type_id,
        period_key=closed.period_key,
    )
    return scope, closed.closed_at.ToDatetime(tzinfo=UTC)
