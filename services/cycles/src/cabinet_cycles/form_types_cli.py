"""cabinet-form-types: publish a form type definition file through the cycles API.

    cabinet-form-types load examples/form-types/vat-return.yaml \\
        --department demo --form-type vat-return [--cycles-url http://127.0.0.1:8003]

Prints the version the form type is at afterwards: a new one only if the file changed.
It calls as the machine identity whose key is CABINET_AUTH_PRIVATE_KEY_FILE (default: the
local stack's `.stack/keys/auth/ops.pem`), named CABINET_AUTH_IDENTITY."""

import argparse
import os
import sys
from pathlib import Path

import httpx

from cabinet_common.auth.machine import machine_headers

DEFAULT_CYCLES_URL = "http://127.0.0.1:8003"
_MEDIA_TYPES = {
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cabinet-form-types", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="publish a definition file (YAML or JSON)")
    load.add_argument("file", type=Path)
    load.add_argument("--department", required=True)
    load.add_argument("--form-type", required=True)
    load.add_argument(
        "--cycles-url",
        default=os.environ.get("CABINET_CYCLES_URL", DEFAULT_CYCLES_URL),
        help=f"default: $CABINET_CYCLES_URL or {DEFAULT_CYCLES_URL}",
    )
    args = parser.parse_args(argv)
    media_type = _MEDIA_TYPES.get(args.file.suffix.lower())
    if media_type is None:
        parser.error(f"{args.file} must end in .yaml, .yml or .json")
    try:
        content = args.file.read_bytes()
    except OSError as error:
        parser.error(str(error))
    url = f"{args.cycles_url}/departments/{args.department}/form-types/{args.form_type}"
    try:
        headers = {"content-type": media_type, **machine_headers()}
    except (OSError, ValueError) as error:
        print(f"No key to sign in with: {error}", file=sys.stderr)
        return 1
    try:
        response = httpx.put(url, content=content, headers=headers, timeout=30)
    except httpx.HTTPError as error:
        print(f"Could not reach the cycles service at {args.cycles_url}: {error}", file=sys.stderr)
        return 1
    if response.is_error:
        print(f"{args.file} was refused ({response.status_code}):", file=sys.stderr)
        print(response.text, file=sys.stderr)
        return 1
    published = response.json()
    print(f"{args.department}/{published['form_type_id']} is at version {published['version']}")
    return 0
