"""Checks an audit pack offline.

    cabinet-audit verify PACK.json --public-key BASE64

Prints "OK: ..." and exits 0 when the pack is intact and signed by that key; otherwise
prints every problem found, one a line, and exits 1. Exits 2 when it cannot run.
"""

import argparse
import sys
from pathlib import Path

from cabinet_common.signing import SigningKeyError, load_public_key
from cabinet_cycles.audit.verify import verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cabinet-audit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify_command = commands.add_parser("verify", help="check an audit pack")
    verify_command.add_argument("pack", type=Path, help="the audit pack (JSON)")
    verify_command.add_argument(
        "--public-key",
        required=True,
        help="Cabinet's Ed25519 public key: base64 of its 32 bytes (GET /signing-key) or PEM",
    )
    args = parser.parse_args(argv)
    try:
        public_key = load_public_key(args.public_key)
        document = args.pack.read_bytes()
    except (SigningKeyError, OSError) as error:
        print(f"cabinet-audit: {error}", file=sys.stderr)
        return 2
    report = verify(document, public_key)
    if report.ok and report.manifest is not None:
        manifest = report.manifest
        sealed = "period closed" if manifest.period_closed else "snapshot, period still open"
        print(
            f"OK: {manifest.record_count} records, chain head {manifest.chain_head}"
            f" ({sealed}; sealed {manifest.sealed_at.isoformat()} with key {manifest.key_id})"
        )
        return 0
    print(f"FAILED: {len(report.problems)} problem(s) in {args.pack}")
    for problem in report.problems:
        print(problem)
    return 1


def run() -> None:
    sys.exit(main())
