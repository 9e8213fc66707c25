"""The local stack's signing key and web secret: made once under the state directory,
never in the repo.

Production supplies its own CABINET_SIGNING_KEY and CABINET_SECRET_KEY (from a secret
store); without a signing key, nothing is signed.
"""

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cabinet_common.signing import generate_seed


def local_signing_key(state_dir: Path) -> str:
    return _local_secret(state_dir / "keys" / "signing-key", generate_seed)


def local_web_secret(state_dir: Path) -> str:
    """The web service's CSRF signing secret for the local stack."""
    return _local_secret(state_dir / "keys" / "web-secret", lambda: secrets.token_urlsafe(32))


def _local_secret(path: Path, generate: Callable[[], str]) -> str:
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Readable by its owner only, from the moment it exists.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(generate() + "\n")
    return path.read_text().strip()
