"""The short `make fuzz`: Schemathesis against intake, receipts and cycles on the session's
stack, with every check and every phase (examples, coverage, fuzzing, stateful), a few
examples per operation and a fixed seed, as Cabinet's machine identity. No server error
(5xx) may be found; the figures and reports go to test-artifacts/fuzz/."""

from pathlib import Path

import pytest

from cabinet_devstack.fuzz import APIS, fuzz_api, summary
from cabinet_devstack.stack import Stack

OUT = Path("test-artifacts/fuzz")


@pytest.mark.parametrize("api", APIS)
def test_fuzzing_finds_no_server_error(stack: Stack, api: str) -> None:
    figures = fuzz_api(stack.config, api, OUT, max_examples=5)
    print(summary([figures]))
    assert figures.operations > 0, (OUT / f"{api}.log").read_text()[-5_000:]
    assert figures.examples > 0
    assert figures.server_errors == 0, summary([figures])
