"""Copy GOV.UK Frontend's built CSS, JavaScript, fonts and images out of node_modules into
the package, so Cabinet serves them from its own origin (no CDN, no other host)."""

import argparse
import shutil
from pathlib import Path

STATIC = Path(__file__).parent / "static"
GOVUK_ASSETS = STATIC / "govuk"
# What the pages link to; `cabinet-web-assets` fails if any is missing from the package.
REQUIRED = ("govuk-frontend.min.css", "govuk-frontend.min.js", "fonts", "images", "manifest.json")


def copy_govuk_frontend(node_modules: Path, target: Path = GOVUK_ASSETS) -> None:
    dist = node_modules / "govuk-frontend" / "dist" / "govuk"
    if not dist.is_dir():
        raise SystemExit(f"{dist} not found: run `npm ci` in services/web first")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(dist / "assets", target)
    for name in ("govuk-frontend.min.css", "govuk-frontend.min.js"):
        shutil.copy2(dist / name, target / name)
    missing = [name for name in REQUIRED if not (target / name).exists()]
    if missing:
        raise SystemExit(f"govuk-frontend is missing {', '.join(missing)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-web-assets", description=__doc__)
    parser.add_argument("node_modules", type=Path, help="where `npm ci` installed govuk-frontend")
    copy_govuk_frontend(parser.parse_args().node_modules)
