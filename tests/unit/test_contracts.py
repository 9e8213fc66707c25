"""The committed protobuf code is what tools/contracts.py generates from proto/."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_contract_code_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "tools/contracts.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Generated contract code is current." in result.stdout
