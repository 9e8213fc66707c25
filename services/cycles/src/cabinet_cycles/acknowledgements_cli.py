"""cabinet-ack verify FILE --public-key KEY: is this acknowledgement genuine and unaltered?

FILE is the acknowledgement as fetched (JSON) or its PDF; KEY is Cabinet's public key
(base64 or PEM, from GET /signing-key). Exits 0 when genuine, 1 when not, 2 on bad usage."""

import argparse
import sys
from pathlib import Path

from cabinet_common.signing import SigningKeyError, load_public_key
from cabinet_cycles.acknowledgements import signed_json_of, verify_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cabinet-ack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check an acknowledgement's signature")
    check.add_argument("file", type=Path)
    check.add_argument("--public-key", required=True, help="base64 or PEM Ed25519 public key")
    args = parser.parse_args(argv)
    try:
        public_key = load_public_key(args.public_key)
    except SigningKeyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = verify_document(signed_json_of(data), public_key)
    if result.genuine:
        assert result.document is not None
        print(
            f"OK: acknowledgement {result.document['reference']} is genuine "
            f"(version {result.document['version']}, processed {result.document['processed_at']})"
        )
        return 0
    for problem in result.problems:
        print(f"NOT GENUINE: {problem}")
    return 1


def run() -> None:
    sys.exit(main())
