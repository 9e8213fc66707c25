"""Generate the Python code for the event contracts in proto/, check it is current, and
check proto/ against the last release's contracts.

    python tools/contracts.py generate          # writes common/src/cabinet/**/events_pb2.py(i)
    python tools/contracts.py check             # exits 1 if the committed code is stale
    python tools/contracts.py breaking          # exits 1 on a breaking change since the release
    python tools/contracts.py release VERSION   # records proto/releases/VERSION.txtpb

A release's contracts are its descriptor set (protoc's compiled form of proto/, in text
format, committed under proto/releases/); `breaking` compares today's proto/ with the newest
one (cabinet_devstack.proto_breaking says what counts). Uses grpcio-tools' bundled protoc,
so nothing is downloaded.
"""

import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

from google.protobuf.descriptor_pb2 import FileDescriptorSet
from grpc_tools import protoc

from cabinet_devstack import proto_breaking

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "common" / "src"
PACKAGE = "cabinet"
RELEASES_DIR = PROTO_DIR / "releases"


def _protoc(proto_dir: Path, *outputs: str) -> None:
    protos = sorted(str(p.relative_to(proto_dir)) for p in proto_dir.rglob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"
    args = ["protoc", f"-I{proto_dir}", f"-I{well_known}", *outputs, *protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def descriptor_set(proto_dir: Path = PROTO_DIR) -> FileDescriptorSet:
    """What protoc compiles proto_dir to, with the imported well-known types."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "descriptors.binpb"
        _protoc(proto_dir, f"--descriptor_set_out={out}", "--include_imports")
        return FileDescriptorSet.FromString(out.read_bytes())


def last_release() -> Path | None:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.name.removesuffix(".txtpb").split("."))

    return max(RELEASES_DIR.glob("*.txtpb"), key=version, default=None)


def breaking() -> int:
    baseline = last_release()
    if baseline is None:
        print(f"No released contracts in {RELEASES_DIR.relative_to(ROOT)}: nothing to compare.")
        return 1
    problems = proto_breaking.breaking_changes(proto_breaking.load(baseline), descriptor_set())
    if problems:
        print(f"Breaking changes since {baseline.name}:", *problems, sep="\n  ")
        return 1
    print(f"No breaking change since {baseline.name}.")
    return 0


def release(version: str) -> int:
    RELEASES_DIR.mkdir(exist_ok=True)
    path = RELEASES_DIR / f"{version}.txtpb"
    path.write_text(proto_breaking.dump(descriptor_set()))
    print(f"Recorded the contracts of release {version} in {path.relative_to(ROOT)}.")
    return 0


def _generate(out: Path) -> None:
    _protoc(PROTO_DIR, f"--python_out={out}", f"--mypy_out={out}")
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
    if command == "breaking":
        return breaking()
    if command == "release" and len(sys.argv) == 3:
        return release(sys.argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
