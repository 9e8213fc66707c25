"""The cycles service's schema, the register, periods, obligations, acknowledgements and
audit chains, and its migration history (versions/)."""

from cabinet_common.messaging.inbox import ProcessedEvent
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.migrations import ServiceSchema
from cabinet_cycles import tables  # noqa: F401  (its tables, by their module)
from cabinet_cycles.audit import tables as audit_tables  # noqa: F401

SCHEMA = ServiceSchema("cycles", "cabinet_cycles", shared=(OutboxMessage, ProcessedEvent))
