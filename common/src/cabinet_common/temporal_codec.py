"""Encryption of every Temporal payload Cabinet writes (AES-256-GCM), with key ids and rotation.

Workflow and activity inputs and results, signals, updates, queries, the static summary and
details the Web UI shows, and failure messages (converted with encoded attributes) all pass
through a data converter's payload codec, and Cabinet's converter encrypts every one: the
simplest rule that cannot miss a field that holds a filer's email or a caseworker's note.
Only search attributes are not encoded (Temporal must index them): they hold business keys
only (cabinet_common.search_attributes), never personal data.

A payload is replaced by one whose data is ``nonce (12 bytes) || AES-GCM(serialized payload)``
and whose metadata says ``encoding: binary/encrypted`` and ``encryption-key-id: <key id>``.
It encrypts with the current key and decrypts with any key it knows by id, so a rotation
never strands a workflow that started before it. A payload without that encoding (every
history recorded before encryption, tests/replay/histories) is passed through unchanged.

Keys are base64 of 32 random bytes, in mounted files: ``CABINET_TEMPORAL_PAYLOAD_KEY_FILE``
(the current key) and ``CABINET_TEMPORAL_PAYLOAD_KEYS_DIR`` (earlier keys, one file each).
A key's id is derived from the key (HMAC-SHA-256, first 16 hex digits), so it names the key
without revealing it, and nobody has to keep ids and files in step.

    cabinet-keys payload-key   # prints a new key and its key id
"""

import base64
import dataclasses
import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from cabinet_common.signing import strict_b64decode

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID_LABEL = b"cabinet temporal payload key id"


class PayloadKeyError(ValueError):
    """No payload key is configured, or a configured one is not 32 bytes of base64."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload whose key Cabinet does not have, or that does not decrypt."""


def load_payload_key(text: str) -> bytes:
    try:
        raw = strict_b64decode(text.strip())
    except ValueError as error:
        raise PayloadKeyError(f"a payload key must be base64 of {KEY_BYTES} bytes") from error
    if len(raw) != KEY_BYTES:
        raise PayloadKeyError(f"a payload key must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def payload_key_id(key: bytes) -> str:
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def generate_payload_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def payload_keys_in(directory: Path) -> list[bytes]:
    """Every key file in the directory (Kubernetes' dot-named links beside a mounted
    Secret's files are skipped)."""
    keys = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            keys.append(load_payload_key(path.read_text()))
        except (PayloadKeyError, UnicodeDecodeError) as error:
            raise PayloadKeyError(f"{path} is not a payload key: {error}") from error
    return keys


class EncryptionCodec(PayloadCodec):
    def __init__(self, current: bytes, earlier: Iterable[bytes] = ()) -> None:
        self._current = AESGCM(current)
        self.key_id = payload_key_id(current)
        self._by_id: dict[str, AESGCM] = {payload_key_id(k): AESGCM(k) for k in earlier}
        self._by_id[self.key_id] = self._current

    @classmethod
    def from_files(cls, key_file: Path, earlier_dir: Path | None = None) -> "EncryptionCodec":
        try:
            current = load_payload_key(key_file.read_text())
        except (PayloadKeyError, UnicodeDecodeError) as error:
            raise PayloadKeyError(f"{key_file} is not a payload key: {error}") from error
        return cls(current, payload_keys_in(earlier_dir) if earlier_dir else [])

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._by_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: self.key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption, or never encoded (search attributes)
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        key = self._by_id.get(key_id)
        if key is None:
            raise PayloadDecryptionError(
                f"a Temporal payload is encrypted with key id {key_id!r}, which is not among"
                f" this process's payload keys ({', '.join(self.key_ids)}): add that key's"
                " file to CABINET_TEMPORAL_PAYLOAD_KEYS_DIR"
            )
        try:
            plain = key.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        except InvalidTag as error:
            raise PayloadDecryptionError(
                f"a Temporal payload encrypted with key id {key_id!r} does not decrypt"
                " (altered, or a different key with the same id)"
            ) from error
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded


def encrypted_data_converter(codec: EncryptionCodec) -> DataConverter:
    """Cabinet's data converter: pydantic models, every payload encrypted, and failure
    messages and stack traces moved into an encrypted payload too (an exception's text can
    quote what a filer sent)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
