"""`cabinet-temporal-setup`: the Temporal namespace and the search attributes the workflows set.

Run by the worker's pods before the worker starts (an init container, deploy/k8s/base/worker),
from the same release's code, so a release that adds a search attribute registers it before
any workflow of that release upserts it. Idempotent: what exists is left alone.
"""

import asyncio
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cabinet_common import search_attributes
from cabinet_common.logging import configure_logging
from cabinet_common.temporal import connect
from cabinet_workflows.settings import WorkerSettings


async def ensure_namespace(client: Client, namespace: str, retention: timedelta) -> bool:
    """Register the namespace unless it exists; True if it was created."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        return False
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    period = Duration()
    period.FromTimedelta(retention)
    try:
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=namespace, workflow_execution_retention_period=period
            )
        )
    except RPCError as race:  # another pod registered it first
        if race.status != RPCStatusCode.ALREADY_EXISTS:
            raise
    return True


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add the attributes search_attributes.ALL names that the namespace lacks."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in search_attributes.ALL
        if key.name not in listed.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
        )
    return sorted(missing)


async def setup(settings: WorkerSettings, wait_s: float = 60) -> tuple[bool, list[str]]:
    client = await connect(settings)
    retention = timedelta(days=settings.temporal_retention_days)
    created = await ensure_namespace(client, settings.temporal_namespace, retention)
    # A namespace just registered is "not found" by other calls until the server's
    # namespace cache refreshes (seconds).
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            added = await ensure_search_attributes(client, settings.temporal_namespace)
            return created, added
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def main() -> None:
    settings = WorkerSettings()
    configure_logging("temporal-setup", settings.log_level, settings.log_json)
    created, added = asyncio.run(setup(settings))
    print(
        f"namespace {settings.temporal_namespace}: {'created' if created else 'exists'}; "
        f"search attributes added: {', '.join(added) or 'none'}"
    )


if __name__ == "__main__":
    main()
