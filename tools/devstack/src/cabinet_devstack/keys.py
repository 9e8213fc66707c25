"""The local stack's keys and web secret: made once under the state directory, never in
the repo.

- `keys/signing-key`: the Ed25519 key that signs acknowledgements and audit packs;
- `keys/web-secret`: the web service's CSRF secret;
- `keys/temporal-payload-key`: the AES-256 key that encrypts Temporal payloads
  (cabinet_common.temporal_codec), for the worker, cycles and web's codec endpoint;
- `keys/auth/web.pem`, `keys/auth/ops.pem`: the private keys that sign API tokens, the web
  service's (for its signed-in users) and the operators' machine identity (CLIs, the demo
  seed, the tests); `keys/auth/trusted/` holds their public keys, which the APIs trust.

Production supplies its own (from a secret store, mounted as files); without a signing
key, nothing is signed, and without trusted keys the APIs refuse every call.
"""

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cabinet_common.signing import generate_seed, load_private_key
from cabinet_common.temporal_codec import generate_payload_key


def local_signing_key(state_dir: Path) -> str:
    return _local_secret(state_dir / "keys" / "signing-key", generate_seed)


def local_temporal_payload_key(state_dir: Path) -> Path:
    """The file holding the local stack's Temporal payload key, made on first use."""
    path = state_dir / "keys" / "temporal-payload-key"
    _local_secret(path, generate_payload_key)
    return path


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


@dataclass(frozen=True)
class AuthKeys:
    web_private_key: Path
    ops_private_key: Path
    trusted_dir: Path


def local_auth_keys(state_dir: Path) -> AuthKeys:
    """The token keys of the local stack, made on first use; the trusted directory is
    written afresh from them, so it never trusts a key that is gone."""
    auth = state_dir / "keys" / "auth"
    trusted = auth / "trusted"
    trusted.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("web", "ops"):
        private = _local_secret(auth / f"{name}.pem", _new_pem_private_key)
        public = load_private_key(private).public_key()
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (trusted / f"{name}.pub").write_bytes(pem)
    return AuthKeys(auth / "web.pem", auth / "ops.pem", trusted)


def _new_pem_private_key() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
        .strip()
    )
