"""Ed25519 signing: keys from configuration, signatures, the key CLI, the local stack's key."""

import base64
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr, ValidationError

from cabinet_common import signing
from cabinet_common.settings import SigningSettings
from cabinet_common.signing import Signer, SigningKeyError
from cabinet_devstack.keys import local_signing_key

SEED = base64.b64encode(bytes(range(32))).decode()


def test_a_seed_gives_a_stable_key_and_key_id() -> None:
    signer = Signer.from_config(SEED)
    again = Signer.from_config(f"  {SEED}\n")
    assert signer.key_id == again.key_id
    assert len(signer.key_id) == 16
    int(signer.key_id, 16)
    public_key = signing.public_key_text(signer.public_key)
    assert len(base64.b64decode(public_key)) == 32
    assert signing.key_id(signing.load_public_key(public_key)) == signer.key_id


def test_pem_keys_load_too() -> None:
    signer = Signer.from_config(SEED)
    private_pem = signing.load_private_key(SEED).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = signer.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert Signer.from_config(private_pem.decode()).key_id == signer.key_id
    assert signing.key_id(signing.load_public_key(public_pem.decode())) == signer.key_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        base64.b64encode(bytes(31)).decode(),
        base64.b64encode(bytes(33)).decode(),
        "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----",
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode(),
    ],
    ids=["empty", "not-base64", "31-bytes", "33-bytes", "broken-pem", "not-ed25519"],
)
def test_what_is_not_an_ed25519_key_is_refused(text: str) -> None:
    with pytest.raises(SigningKeyError):
        signing.load_private_key(text)


def test_a_signature_verifies_only_for_the_same_bytes_and_key() -> None:
    signer = Signer.from_config(SEED)
    other = Signer.from_config(signing.generate_seed())
    data = b'{"chain_head":"abc"}'
    signature = signer.sign(data)
    assert signing.verify(signer.public_key, data, signature)
    assert not signing.verify(signer.public_key, b'{"chain_head":"abd"}', signature)
    assert not signing.verify(other.public_key, data, signature)
    assert not signing.verify(signer.public_key, data, other.sign(data))
    assert not signing.verify(signer.public_key, data, "not a signature")


def test_a_signature_has_exactly_one_spelling() -> None:
    signer = Signer.from_config(SEED)
    signature = signer.sign(b"data")
    # The character before "==" carries 4 unused bits; the lenient decoder ignores them.
    last = signature[-3]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = signature[:-3] + alphabet[alphabet.index(last) ^ 1] + "=="
    assert base64.b64decode(twin) == base64.b64decode(signature)
    assert not signing.verify(signer.public_key, b"data", twin)
    assert not signing.verify(signer.public_key, b"data", signature[:40] + "\n" + signature[40:])


def test_settings_take_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABINET_SIGNING_KEY", SEED)
    assert SigningSettings().signer().key_id == Signer.from_config(SEED).key_id


def test_settings_without_a_key_refuse_to_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CABINET_SIGNING_KEY", raising=False)
    with pytest.raises(SigningKeyError, match="CABINET_SIGNING_KEY"):
        SigningSettings().signer()


def test_settings_refuse_a_bad_key_at_startup() -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        SigningSettings(signing_key=SecretStr(base64.b64encode(bytes(16)).decode()))


def test_the_key_cli_prints_a_new_key_and_its_public_key() -> None:
    executable = Path(sys.executable).parent / "cabinet-keys"
    result = subprocess.run(
        [str(executable), "generate"], capture_output=True, text=True, timeout=60, check=True
    )
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines()[1:])
    seed = result.stdout.splitlines()[0].removeprefix("CABINET_SIGNING_KEY=")
    signer = Signer.from_config(seed)
    assert lines == {
        "public key": signing.public_key_text(signer.public_key),
        "key id": signer.key_id,
    }


def test_the_local_stack_makes_its_key_once_readable_by_its_owner(tmp_path: Path) -> None:
    key = local_signing_key(tmp_path)
    assert local_signing_key(tmp_path) == key
    Signer.from_config(key)
    path = tmp_path / "keys" / "signing-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
