"""One image built and started, as `make images` does for all five (CI runs this one only:
the five take ~8 minutes on 2 cores, this one ~3).

The Debian base is made with mmdebstrap (unless it exists), the receipts image is built on
it from the host's wheels, and then started with podman on a read-only root filesystem as
its non-root user, beside real Kafka and Temporal: it must answer /healthz, become ready,
refuse a write to its root filesystem and run as uid 10001.
"""

import os
import shutil
from pathlib import Path

import pytest

from cabinet_devstack import images
from cabinet_devstack.image_run import start_and_report

TOOLS = ("mmdebstrap", "buildah", "podman", "runc")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mmdebstrap and rootful buildah need root (CI runs as root)"
)


def test_the_receipts_image_builds_and_runs_read_only_as_its_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"install {missing} (make images does, as root)"
    if not images.image_exists(images.BASE_IMAGE):
        images.build_base()
    tag = images.build_image(images.BY_NAME["receipts"], "0.0.0-test", images.BASE_IMAGE)
    ok = start_and_report({"receipts": tag}, tmp_path)
    report = capsys.readouterr().out
    assert ok, report
    (line,) = [line for line in report.splitlines() if line.startswith(tag)]
    assert "10001" in line and "read-only" in line and "/readyz 200" in line, line
