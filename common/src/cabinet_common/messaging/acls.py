"""Who may do what on Kafka: one principal per deployable, allowed to write only the topics
it owns (cabinet_common.events.TOPIC_OWNER) and to read only what it consumes, with its own
consumer group and the dead-letter topics of what it consumes. The local and test brokers
get these ACLs from cabinet_devstack.kafka; production's are Strimzi KafkaUsers
(deploy/k8s/base/topics/users.yaml, checked against this list by the manifest tests)."""

from dataclasses import dataclass
from typing import Literal

from cabinet_common.events import CONSUMED_BY, TOPIC_OWNER, Topic
from cabinet_common.messaging.kafka import REDRIVES_TOPIC

# The operators' tool (cabinet-dlq): reads every dead letter and re-drives it to its topic.
OPERATOR = "cabinet-dlq"
Operation = Literal["Read", "Write"]


@dataclass(frozen=True, order=True)
class Acl:
    principal: str  # the SCRAM username, e.g. cabinet-intake
    resource: Literal["topic", "group"]
    name: str
    operation: Operation


def principal_of(deployable: str) -> str:
    return f"cabinet-{deployable}"


def acls() -> list[Acl]:
    granted: set[Acl] = set()
    for topic, owner in TOPIC_OWNER.items():
        granted.add(Acl(principal_of(owner), "topic", topic.value, "Write"))
        # The owner's outbox sets aside, on the .dlq, a record Kafka refuses for good.
        granted.add(Acl(principal_of(owner), "topic", topic.dead_letter, "Write"))
    for deployable, topics in CONSUMED_BY.items():
        principal = principal_of(deployable)
        if topics:
            granted.add(Acl(principal, "group", principal, "Read"))
        for topic in topics:
            granted.add(Acl(principal, "topic", topic.value, "Read"))
            granted.add(Acl(principal, "topic", topic.dead_letter, "Write"))
    # Dead letters: cycles waits for a quarter's before closing it, and serves the
    # operators' dead-letter pages, which re-drive a letter to its original topic (any
    # topic); cabinet-dlq does the same from a shell. Cycles holds the signing key, so
    # letting it re-drive gives it no acknowledgement it could not sign already.
    for principal in (principal_of("cycles"), OPERATOR):
        for topic in Topic:
            granted.add(Acl(principal, "topic", topic.dead_letter, "Read"))
            granted.add(Acl(principal, "topic", topic.value, "Write"))
        granted.add(Acl(principal, "topic", REDRIVES_TOPIC, "Read"))
        granted.add(Acl(principal, "topic", REDRIVES_TOPIC, "Write"))
    return sorted(granted)


def principals() -> list[str]:
    return sorted({acl.principal for acl in acls()} | {principal_of(d) for d in CONSUMED_BY})
