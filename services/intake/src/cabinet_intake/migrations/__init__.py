"""The intake service's schema, the submissions it took, the obligations and returns it heard of,
and its migration history (versions/)."""

from cabinet_common.known_form_types import KnownFormType
from cabinet_common.messaging.inbox import ProcessedEvent
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.migrations import ServiceSchema
from cabinet_intake import tables  # noqa: F401  (its tables, by their module)

SCHEMA = ServiceSchema(
    "intake", "cabinet_intake", shared=(KnownFormType, OutboxMessage, ProcessedEvent)
)
