"""Each service's published OpenAPI against the running service, by Schemathesis: every
status a route answers is documented, with the content type, schema and headers it really
sends (errors as problem documents), and no input makes a server error. Called as
Cabinet's machine identity (past authentication, to what each route does), and with no
credentials at all (every route's 401, its problem document and its WWW-Authenticate
challenge). Few examples per operation, so it stays quick; a fixed seed, so a failure can
be reproduced."""

import subprocess
import sys
from pathlib import Path

import pytest

from cabinet_devstack.stack import Stack

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.mark.parametrize("caller", ["machine", "anonymous"])
@pytest.mark.parametrize("service", ["intake", "receipts", "cycles"])
def test_the_published_spec_matches_the_running_service(
    stack: Stack, service: str, caller: str, tmp_path: Path
) -> None:
    url = stack.config.url(service)
    auth = stack.config.machine_auth() if caller == "machine" else {}
    headers = [f"--header={name}: {value}" for name, value in auth.items()]
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{url}/openapi.json",
            *headers,
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "8",
            "--seed",
            "20261204",
            "--workers",
            "1",
            "--no-shrink",
            "--request-timeout",
            "30",
        ],
        cwd=tmp_path,  # its own files (.schemathesis/) stay out of the repository
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    assert "No test cases" not in done.stdout
