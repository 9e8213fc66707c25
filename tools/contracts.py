"""Generate the Python code for the event contracts in proto/, or check it is current.

    python tools/contracts.py generate   # writes common/src/cabinet/**/events_pb2.py(i)
    python tools/contracts.py check      # exits 1 if the committed code is stale

Uses grpcio-tools' bundled protoc, so nothing is downloaded.
"""

import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "common" / "src"
PACKAGE = "cabinet"


def _generate(out: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--mypy_out={out}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for package_dir in [out / PACKAGE, *(p for p in (out / PACKAGE).rglob("*") if p.is_dir())]:
        (package_dir / "__init__.py").touch()


def _generated_files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in (root / PACKAGE).rglob("*") if p.is_file()}


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        _generate(fresh)
        expected, actual = _generated_files(fresh), _generated_files(OUT_DIR)
        stale = sorted(
            str(p)
            for p in expected | actual
            if p not in expected
            or p not in actual
            or not filecmp.cmp(fresh / p, OUT_DIR / p, shallow=False)
        )
    if stale:
        print("Generated contract code is stale; run `make contracts`:", *stale, sep="\n  ")
        return 1
    print("Generated contract code is current.")
    return 0


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "generate":
        _generate(OUT_DIR)
        return 0
    if command == "check":
        return check()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
