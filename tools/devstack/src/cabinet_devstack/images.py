"""`make images`: the five container images, built and started on this machine.

No image registry is reachable from here, so the base is made from Debian packages:
mmdebstrap builds a Debian bookworm root filesystem with Python 3.11 from Debian, buildah
imports it as localhost/cabinet-base:bookworm, and each deploy/images/<name>.Containerfile
is built on it (PYTHON_IMAGE build argument; the files' default stays the public
python:3.11-slim-bookworm). The build context of each image is a folder prepared here:
the locked third-party wheels (downloaded on the host, checked against uv.lock's hashes)
and the workspace packages' wheels built by `uv build`, so a build downloads nothing.

    cabinet-images                  # base (if missing), five images, start each, print figures
    cabinet-images --only intake    # one image
    cabinet-images --no-run         # build only
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
WORK_DIR = REPO_ROOT / ".stack" / "images"
BASE_IMAGE = "localhost/cabinet-base:bookworm"
# What the base holds beyond Debian's minimal system: Python 3.11 and venv (the build stage
# makes the virtual environment with it), useradd, CA certificates for TLS clients.
BASE_PACKAGES = ("python3", "python3-venv", "passwd", "ca-certificates")
# Documentation and translations are dropped from the base (about 40 MB).
BASE_EXCLUDES = ("/usr/share/man/*", "/usr/share/doc/*", "/usr/share/locale/*", "/usr/share/info/*")
DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
UV = os.environ.get("UV", shutil.which("uv") or str(Path.home() / ".local/bin/uv"))


@dataclass(frozen=True)
class Image:
    name: str  # deploy/images/<name>.Containerfile
    package_dir: str

    @property
    def project(self) -> dict[str, object]:
        with (REPO_ROOT / self.package_dir / "pyproject.toml").open("rb") as file:
            project: dict[str, object] = tomllib.load(file)["project"]
        return project

    @property
    def package(self) -> str:
        return str(self.project["name"])

    @property
    def workspace_packages(self) -> list[str]:
        """This package and the workspace packages it depends on (cabinet-common)."""
        deps = self.project.get("dependencies", [])
        assert isinstance(deps, list)
        local = [dep.split("[")[0] for dep in deps if dep.startswith("cabinet-")]
        return [*local, self.package]

    @property
    def containerfile(self) -> Path:
        return REPO_ROOT / "deploy" / "images" / f"{self.name}.Containerfile"

    def tag(self, version: str) -> str:
        return f"localhost/cabinet-{self.name}:{version}"


IMAGES = (
    Image("intake", "services/intake"),
    Image("receipts", "services/receipts"),
    Image("cycles", "services/cycles"),
    Image("worker", "workflows"),
    Image("web", "services/web"),
)
BY_NAME = {image.name: image for image in IMAGES}


def run(argv: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(argv), flush=True)
    return subprocess.run(argv, check=True, text=True, **options)  # type: ignore[call-overload,no-any-return]


def image_exists(tag: str) -> bool:
    result = subprocess.run(["podman", "image", "exists", tag], check=False)
    return result.returncode == 0


def build_base(tag: str = BASE_IMAGE) -> None:
    """Debian bookworm from the machine's configured Debian mirror, imported with buildah."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tarball = WORK_DIR / "base.tar"
    argv = [
        "mmdebstrap",
        "--variant=minbase",
        "--mode=root",
        "--format=tar",
        f"--include={','.join(BASE_PACKAGES)}",
        "--aptopt=APT::Install-Recommends false",
        *(f"--dpkgopt=path-exclude={path}" for path in BASE_EXCLUDES),
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        "bookworm",
        str(tarball),
    ]
    # The mirror is whatever this machine's apt uses, read from its sources file.
    if DEBIAN_SOURCES.is_file():
        with DEBIAN_SOURCES.open() as sources:
            run([*argv, "-"], stdin=sources)
    else:
        run(argv)
    container = run(["buildah", "from", "scratch"], capture_output=True).stdout.strip()
    try:
        run(["buildah", "add", "--quiet", container, str(tarball), "/"])
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        run(["buildah", "config", "--env", f"PATH={path}", "--env", "LANG=C.UTF-8",
             "--cmd", "python3", container])  # fmt: skip
        run(["buildah", "commit", "--quiet", "--rm", container, tag])
    except subprocess.CalledProcessError:
        subprocess.run(["buildah", "rm", container], check=False)
        raise
    tarball.unlink()


def prepare_context(image: Image) -> Path:
    """The build context: requirements.txt (with hashes) and every wheel the image installs."""
    context = WORK_DIR / "context" / image.name
    shutil.rmtree(context, ignore_errors=True)
    wheels = context / "wheels"
    wheels.mkdir(parents=True)
    requirements = context / "requirements.txt"
    run([UV, "export", "--frozen", "--no-dev", "--no-emit-workspace", "--quiet",
         "--package", image.package, "-o", str(requirements)], cwd=REPO_ROOT)  # fmt: skip
    # pip, not uv, because uv has no download command; it checks every file against the
    # hashes uv.lock pinned, and keeps its HTTP cache so a rebuild downloads nothing.
    run([UV, "tool", "run", "--python", "3.11", "--from", "pip", "pip", "download",
         "--quiet", "--disable-pip-version-check", "--only-binary=:all:", "--no-deps",
         "--require-hashes", "-r", str(requirements), "-d", str(wheels)])  # fmt: skip
    for package in image.workspace_packages:
        run([UV, "build", "--quiet", "--package", package, "--wheel", "--out-dir", str(wheels)],
            cwd=REPO_ROOT)  # fmt: skip
    if image.name == "web":
        check_web_assets(wheels)
    return context


def check_web_assets(wheels: Path) -> None:
    """The web wheel must carry GOV.UK Frontend (npm ci + cabinet-web-assets, `make install`)."""
    (wheel,) = wheels.glob("cabinet_web-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    if not any(name.startswith("cabinet_web/static/govuk/") for name in names):
        raise SystemExit(f"{wheel.name} has no GOV.UK Frontend assets: run `make install` first")


def build_image(image: Image, version: str, base: str) -> str:
    context = prepare_context(image)
    tag = image.tag(version)
    # chroot isolation: the RUN steps need no OCI runtime or cgroups, so the build works
    # wherever buildah does (these machines' crun refuses their hybrid cgroup layout).
    run(["buildah", "build", "--quiet", "--layers", "--isolation", "chroot", "--pull=never",
         "--build-arg", f"PYTHON_IMAGE={base}", "-f", str(image.containerfile),
         "-t", tag, str(context)])  # fmt: skip
    return tag


def image_size_mb(tag: str) -> float:
    result = run(["podman", "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True)
    return int(result.stdout.strip()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(BY_NAME), action="append")
    parser.add_argument("--version", default="0.1.0")
    parser.add_argument("--base", default=BASE_IMAGE, help="the PYTHON_IMAGE build argument")
    parser.add_argument("--rebuild-base", action="store_true")
    parser.add_argument("--no-run", action="store_true", help="build only")
    args = parser.parse_args()
    images = [BY_NAME[name] for name in args.only] if args.only else list(IMAGES)
    if args.base == BASE_IMAGE and (args.rebuild_base or not image_exists(BASE_IMAGE)):
        build_base()
    tags = {image.name: build_image(image, args.version, args.base) for image in images}
    if args.no_run:
        for name, tag in tags.items():
            print(f"{name:<9} {tag:<40} {image_size_mb(tag):7.1f} MB")
        return
    from cabinet_devstack.image_run import start_and_report

    with tempfile.TemporaryDirectory(prefix="run-", dir=WORK_DIR) as state_dir:
        ok = start_and_report(tags, Path(state_dir))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
