"""Ed25519 signatures for the documents Cabinet hands out (audit packs, acknowledgements).

The private key comes from a mounted file (``CABINET_SIGNING_KEY_FILE``) or the environment
(``CABINET_SIGNING_KEY``): a base64 32-byte seed or a PEM private key. Public keys and
signatures travel as base64 of their raw bytes. Every signature names its key by key id,
and verification looks the key up among all the keys Cabinet has published
(``CABINET_SIGNING_PUBLIC_KEYS_DIR`` holds the earlier ones), so a rotation never makes
an acknowledgement or audit pack issued before it unverifiable.

    cabinet-keys generate      # prints a new private key, its public key and key id
    cabinet-keys payload-key   # a new Temporal payload key (cabinet_common.temporal_codec)
"""

import argparse
import base64
import binascii
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
_KEY_BYTES = 32


class SigningKeyError(ValueError):
    """No signing key is configured, or the configured one is not an Ed25519 key."""


def strict_b64decode(text: str) -> bytes:
    """Base64 with exactly one spelling per value: the loose decoder ignores stray characters
    and the unused bits of the last character, so altered text could decode unchanged."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not base64: {error}") from error
    if base64.b64encode(raw).decode() != text:
        raise ValueError("not in canonical base64")
    return raw


def load_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except ValueError as error:
            raise SigningKeyError(f"unreadable PEM private key: {error}") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the PEM private key is not an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw_key(text, "private key seed"))


def load_public_key(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as error:
            raise SigningKeyError(f"unreadable PEM public key: {error}") from error
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError("the PEM public key is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw_key(text, "public key"))


def _raw_key(text: str, what: str) -> bytes:
    try:
        raw = strict_b64decode(text)
    except ValueError as error:
        raise SigningKeyError(f"the {what} must be base64 of {_KEY_BYTES} bytes or PEM") from error
    if len(raw) != _KEY_BYTES:
        raise SigningKeyError(f"the {what} must be {_KEY_BYTES} bytes, not {len(raw)}")
    return raw


def public_keys_in(directory: Path) -> dict[str, Ed25519PublicKey]:
    """Every public key file in the directory (PEM or base64 raw), by key id. Kubernetes
    mounts a Secret's or ConfigMap's keys as files, with dot-named links beside them: those
    are skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            public_key = load_public_key(path.read_text())
        except (SigningKeyError, ValueError, UnicodeDecodeError) as error:
            raise SigningKeyError(f"{path} is not an Ed25519 public key: {error}") from error
        keys[key_id(public_key)] = public_key
    return keys


def public_key_text(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(_public_bytes(public_key)).decode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(_public_bytes(public_key)).hexdigest()[:16]


def _public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class Signer:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def from_config(cls, text: str) -> "Signer":
        return cls(load_private_key(text))

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._private_key.sign(data)).decode()


def verify(public_key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    try:
        public_key.verify(strict_b64decode(signature), data)
    except (ValueError, InvalidSignature):
        return False
    return True


def generate_seed() -> str:
    """A new private key as the base64 seed that CABINET_SIGNING_KEY takes."""
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(seed).decode()


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-keys", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="print a new Ed25519 private key and its public key")
    commands.add_parser(
        "payload-key", help="print a new AES-256 key for Temporal payloads and its key id"
    )
    if parser.parse_args().command == "payload-key":
        # Imported here: the Temporal SDK is needed only by this command.
        from cabinet_common.temporal_codec import (
            generate_payload_key,
            load_payload_key,
            payload_key_id,
        )

        payload_key = generate_payload_key()
        print(f"payload key: {payload_key}")
        print(f"key id: {payload_key_id(load_payload_key(payload_key))}")
        return
    seed = generate_seed()
    public_key = load_private_key(seed).public_key()
    print(f"CABINET_SIGNING_KEY={seed}")
    print(f"public key: {public_key_text(public_key)}")
    print(f"key id: {key_id(public_key)}")
