"""The Temporal payload codec (cabinet_common.temporal_codec) and the client settings every
Temporal connection in Cabinet is made with (cabinet_common.temporal.connect)."""

import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig
from temporalio.worker import Replayer, Worker

from cabinet_common import temporal
from cabinet_common.settings import TemporalSettings
from cabinet_common.temporal_codec import (
    ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    PayloadDecryptionError,
    PayloadKeyError,
    encrypted_data_converter,
    generate_payload_key,
    load_payload_key,
    payload_key_id,
)
from tests.temporal_support import time_skipping_env

EMAIL = "jo.bloggs@example.org"


def new_key() -> bytes:
    return load_payload_key(generate_payload_key())


def plain(text: str) -> Payload:
    [payload] = pydantic_data_converter.payload_converter.to_payloads([{"email": text}])
    return payload


async def test_a_payload_round_trips_and_is_not_readable_on_the_way() -> None:
    codec = EncryptionCodec(new_key())
    original = plain(EMAIL)
    [encrypted] = await codec.encode([original])
    assert encrypted.metadata["encoding"] == ENCODING
    assert encrypted.metadata[KEY_ID_METADATA] == codec.key_id.encode()
    assert EMAIL.encode() not in encrypted.SerializeToString()
    assert b"json/plain" not in encrypted.SerializeToString()  # the inner metadata too
    [decrypted] = await codec.decode([encrypted])
    assert decrypted == original


async def test_the_same_payload_encrypts_differently_each_time() -> None:
    codec = EncryptionCodec(new_key())
    first, second = await codec.encode([plain(EMAIL), plain(EMAIL)])
    assert first.data != second.data


async def test_after_a_rotation_the_old_key_still_decrypts_what_it_encrypted() -> None:
    old, new = new_key(), new_key()
    [before] = await EncryptionCodec(old).encode([plain(EMAIL)])
    rotated = EncryptionCodec(new, earlier=[old])
    [after] = await rotated.encode([plain(EMAIL)])
    assert after.metadata[KEY_ID_METADATA] == payload_key_id(new).encode()
    assert before.metadata[KEY_ID_METADATA] == payload_key_id(old).encode()
    assert await rotated.decode([before, after]) == [plain(EMAIL), plain(EMAIL)]
    assert rotated.key_ids == sorted([payload_key_id(old), payload_key_id(new)])


async def test_an_unknown_key_id_is_a_clear_error() -> None:
    stranger = new_key()
    [encrypted] = await EncryptionCodec(stranger).encode([plain(EMAIL)])
    codec = EncryptionCodec(new_key())
    with pytest.raises(PayloadDecryptionError) as raised:
        await codec.decode([encrypted])
    message = str(raised.value)
    assert repr(payload_key_id(stranger)) in message
    assert "CABINET_TEMPORAL_PAYLOAD_KEYS_DIR" in message


async def test_an_altered_payload_does_not_decrypt() -> None:
    codec = EncryptionCodec(new_key())
    [encrypted] = await codec.encode([plain(EMAIL)])
    encrypted.data = encrypted.data[:-1] + bytes([encrypted.data[-1] ^ 1])
    with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
        await codec.decode([encrypted])


async def test_payloads_without_its_encoding_pass_through_unchanged() -> None:
    """Histories recorded before encryption, and anything never encoded, decode as they are."""
    codec = EncryptionCodec(new_key())
    unencoded = [plain(EMAIL), Payload(metadata={"encoding": b"binary/null"})]
    assert await codec.decode(unencoded) == unencoded


def test_the_key_id_names_the_key_without_revealing_it() -> None:
    key = new_key()
    assert payload_key_id(key) == payload_key_id(bytes(key))
    assert len(payload_key_id(key)) == 16
    assert payload_key_id(key) != payload_key_id(new_key())
    assert key.hex()[:16] != payload_key_id(key)


@pytest.mark.parametrize("text", ["not base64!", "c2hvcnQ=", ""])
def test_a_key_that_is_not_32_bytes_of_base64_is_refused(text: str) -> None:
    with pytest.raises(PayloadKeyError):
        load_payload_key(text)


def test_keys_come_from_mounted_files(tmp_path: Path) -> None:
    old, current = generate_payload_key(), generate_payload_key()
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "2026-q3").write_text(old + "\n")
    (earlier / "..data").mkdir()  # what Kubernetes puts beside a mounted Secret's files
    (tmp_path / "current").write_text(current + "\n")
    settings = TemporalSettings(
        temporal_payload_key_file=tmp_path / "current", temporal_payload_keys_dir=earlier
    )
    codec = settings.payload_codec()
    assert codec.key_id == payload_key_id(load_payload_key(current))
    assert set(codec.key_ids) == {payload_key_id(load_payload_key(k)) for k in (old, current)}


def test_without_a_key_no_client_is_made() -> None:
    with pytest.raises(PayloadKeyError, match="CABINET_TEMPORAL_PAYLOAD_KEY_FILE"):
        TemporalSettings().payload_codec()


def test_a_key_file_that_holds_no_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(PayloadKeyError, match=str(tmp_path / "key")):
        TemporalSettings(temporal_payload_key_file=tmp_path / "key").payload_codec()


@workflow.defn(sandboxed=False)
class Echo:
    @workflow.run
    async def run(self, note: str) -> str:
        return f"noted: {note}"


async def test_a_workflow_history_is_encrypted_and_replays_only_with_the_key() -> None:
    """The workflow runs on an encrypting converter; its history holds no note in clear;
    the Replayer replays it with the same converter, and cannot without the key."""
    note = "Caseworker note: the director's home address is 1 High Street"
    codec = EncryptionCodec(new_key())
    converter = encrypted_data_converter(codec)
    async with time_skipping_env(converter) as env:
        queue = f"echo-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=queue, workflows=[Echo]):
            handle = await env.client.start_workflow(
                Echo.run, note, id=f"echo-{uuid.uuid4()}", task_queue=queue
            )
            assert await handle.result() == f"noted: {note}"
        history = await handle.fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert b"director" not in raw
    assert codec.key_id.encode() in raw

    replayed = await Replayer(workflows=[Echo], data_converter=converter).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert replayed.replay_failure is None
    stranger = encrypted_data_converter(EncryptionCodec(new_key()))
    refused = await Replayer(workflows=[Echo], data_converter=stranger).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert refused.replay_failure is not None


# The client settings: captured from the connect call, since the dev server has no TLS.


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "payload-key"
    path.write_text(generate_payload_key())
    return path


@pytest.fixture
def connect_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    async def connect(target: str, **options: Any) -> object:
        calls.append({"target": target, **options})
        return object()

    monkeypatch.setattr(Client, "connect", connect)
    return calls


async def test_the_local_dev_server_is_plain_with_no_api_key(
    key_file: Path, connect_calls: list[dict[str, Any]]
) -> None:
    await temporal.connect(TemporalSettings(temporal_payload_key_file=key_file))
    [call] = connect_calls
    assert call["tls"] is False
    assert call["api_key"] is None
    codec = TemporalSettings(temporal_payload_key_file=key_file).payload_codec()
    assert call["data_converter"].payload_codec.key_id == codec.key_id


async def test_tls_with_the_system_roots(
    key_file: Path, connect_calls: list[dict[str, Any]]
) -> None:
    await temporal.connect(TemporalSettings(temporal_payload_key_file=key_file, temporal_tls=True))
    assert connect_calls[0]["tls"] is True


async def test_mtls_with_a_private_ca_and_server_name(
    tmp_path: Path, key_file: Path, connect_calls: list[dict[str, Any]]
) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(f"-----{name}-----\n".encode())
    await temporal.connect(
        TemporalSettings(
            temporal_address="temporal.example.internal:7233",
            temporal_payload_key_file=key_file,
            temporal_tls_ca_file=tmp_path / "ca.pem",
            temporal_tls_server_name="temporal.example.internal",
            temporal_tls_client_cert_file=tmp_path / "client.pem",
            temporal_tls_client_key_file=tmp_path / "client.key",
        )
    )
    [call] = connect_calls
    assert call["target"] == "temporal.example.internal:7233"
    assert call["tls"] == TLSConfig(
        server_root_ca_cert=b"-----ca.pem-----\n",
        domain="temporal.example.internal",
        client_cert=b"-----client.pem-----\n",
        client_private_key=b"-----client.key-----\n",
    )
    assert call["api_key"] is None


async def test_an_api_key_from_a_file_turns_tls_on(
    tmp_path: Path, key_file: Path, connect_calls: list[dict[str, Any]]
) -> None:
    (tmp_path / "api-key").write_text("cloud-api-key-123\n")
    await temporal.connect(
        TemporalSettings(
            temporal_payload_key_file=key_file,
            temporal_namespace="cabinet.a1b2c",
            temporal_api_key_file=tmp_path / "api-key",
        )
    )
    [call] = connect_calls
    assert (call["api_key"], call["tls"], call["namespace"]) == (
        "cloud-api-key-123",
        True,
        "cabinet.a1b2c",
    )


def test_settings_come_from_the_environment(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ca.pem").write_bytes(b"ca")
    monkeypatch.setenv("CABINET_TEMPORAL_PAYLOAD_KEY_FILE", str(key_file))
    monkeypatch.setenv("CABINET_TEMPORAL_TLS_CA_FILE", str(tmp_path / "ca.pem"))
    settings = TemporalSettings()
    assert temporal.tls_config(settings) == TLSConfig(server_root_ca_cert=b"ca")


def test_a_client_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"cert")
    settings = TemporalSettings(temporal_tls_client_cert_file=tmp_path / "client.pem")
    with pytest.raises(ValueError, match="CABINET_TEMPORAL_TLS_CLIENT_KEY_FILE"):
        temporal.tls_config(settings)
