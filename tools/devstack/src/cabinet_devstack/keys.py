"""The local stack's signing key: made once under the state directory, never in the repo.

Production supplies its own CABINET_SIGNING_KEY (from a secret store); without one,
nothing is signed.
"""

import os
from pathlib import Path

from cabinet_common.signing import generate_seed


def local_signing_key(state_dir: Path) -> str:
    path = state_dir / "keys" / "signing-key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Readable by its owner only, from the moment it exists.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(generate_seed() + "\n")
    return path.read_text().strip()
