"""The receipts service's schema, the files and lines it has seen filed and its check results,
and its migration history (versions/)."""

from cabinet_common.known_form_types import KnownFormType
from cabinet_common.messaging.inbox import ProcessedEvent
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.migrations import ServiceSchema
from cabinet_receipts import tables  # noqa: F401  (its tables, by their module)

SCHEMA = ServiceSchema(
    "receipts", "cabinet_receipts", shared=(KnownFormType, OutboxMessage, ProcessedEvent)
)
