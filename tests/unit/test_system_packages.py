"""`make test` on a fresh machine: tools/system-packages.sh names what is missing."""

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools/system-packages.sh"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A machine with none of the commands or files, where the user is not root.
    fake_id = tmp_path / "id"
    fake_id.write_text("#!/bin/sh\necho 1000\n")
    fake_id.chmod(0o755)
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), *args],
        env={"PATH": str(tmp_path), "SYSTEM_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_root_it_says_in_one_line_what_to_install(tmp_path: Path) -> None:
    result = _run(tmp_path, "--browser")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Install these Debian packages first (as root): "
        "apt-get install openjdk-17-jre-headless maven npm tesseract-ocr tesseract-ocr-eng"
        " fonts-dejavu-core chromium"
    ]


def test_postgres_mode_installs_debians_postgresql_15(tmp_path: Path) -> None:
    assert _run(tmp_path, "--postgres").stderr.split()[-1] == "postgresql-15"
    assert "postgresql" not in _run(tmp_path).stderr


def test_chromium_is_needed_only_for_the_browser_tests(tmp_path: Path) -> None:
    assert "chromium" not in _run(tmp_path).stderr
