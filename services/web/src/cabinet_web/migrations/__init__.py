"""The web service's schema, accounts, sessions and drafts,
and its migration history (versions/)."""

from cabinet_common.migrations import ServiceSchema
from cabinet_web import tables  # noqa: F401  (its tables, by their module)

SCHEMA = ServiceSchema("web", "cabinet_web")
