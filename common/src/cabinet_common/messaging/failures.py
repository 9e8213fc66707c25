"""Why an event failed decides what happens to it. Poison (an event that can never succeed:
undecodable, invalid, refused by a domain rule) goes to its topic's dead-letter sibling.
Anything else is treated as transient: a dependency that is down or slow (Temporal, the
database, Kafka, an HTTP peer), or a race with another replica, and the event waits and is
retried for as long as it takes. Dead-lettering a transient failure strands a filing; retrying
poison only stalls one partition, visibly (see PartitionWaits), until an operator acts."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError

from cabinet_common.events import InvalidEvent


class PermanentError(Exception):
    """The event can never be processed (it contradicts what this service knows)."""


def is_poison(error: BaseException) -> bool:
    """Temporal's refusals are turned into PermanentError where the call is made
    (cabinet_common.temporal.refusal_is_permanent): this module needs no Temporal SDK."""
    if isinstance(error, PermanentError | InvalidEvent):
        return True
    # A value that does not fit its column (PostgreSQL's 22xxx class) fails every time.
    # OperationalError (connection lost, database locked) and IntegrityError (two replicas
    # recording the same event at once; the retry finds it processed) are transient.
    return isinstance(error, DataError)


def is_dependency_outage(error: BaseException) -> bool:
    """A failure that names a dependency being away, as opposed to an unexpected error that
    is retried all the same but logged with its traceback (it may be a bug)."""
    if isinstance(error, KafkaError | OperationalError | OSError | TimeoutError):
        return True
    if type(error).__module__.startswith("temporalio."):  # RPCError: connect, timeout...
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: replicas that lost the same dependency
    do not all come back at the same instant."""

    first_s: float = 0.2
    cap_s: float = 30.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap_s, self.first_s * 2 ** min(attempt - 1, 30))
        return random.uniform(ceiling / 2, ceiling)


DEFAULT_BACKOFF = Backoff()


@dataclass
class Waiting:
    """A partition held back because its next event keeps failing transiently."""

    since: datetime
    attempts: int
    error: str


@dataclass
class PartitionWaits:
    """What a consumer is waiting for, for its logs and the service's health endpoints."""

    by_partition: dict[str, Waiting] = field(default_factory=dict)

    def failed(self, partition: str, error: BaseException) -> Waiting:
        current = self.by_partition.get(partition)
        waiting = Waiting(
            since=current.since if current else datetime.now(UTC),
            attempts=(current.attempts if current else 0) + 1,
            error=f"{type(error).__name__}: {error}"[:500],
        )
        self.by_partition[partition] = waiting
        return waiting

    def cleared(self, partition: str) -> None:
        self.by_partition.pop(partition, None)

    def report(self) -> list[dict[str, object]]:
        return [
            {
                "partition": partition,
                "since": w.since.isoformat(),
                "attempts": w.attempts,
                "error": w.error,
            }
            for partition, w in sorted(self.by_partition.items())
        ]
