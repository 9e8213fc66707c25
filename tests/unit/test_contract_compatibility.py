"""Contract gates: proto/ against the last release's contracts (proto/releases/), and events
crossing releases in both directions.

A consumer still on the previous release must read what today's producers write, and
today's consumers must read what a newer producer (one with an added field) writes. The
breaking-change check (`python tools/contracts.py breaking`, in `make lint` and here) is
shown to fail on each kind of breaking edit of a copy of proto/.
"""

import importlib.util
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.message import Message

from cabinet_common.events import MESSAGE_OF_TYPE, Event, from_kafka, to_kafka
from cabinet_devstack import proto_breaking

ROOT = Path(__file__).resolve().parents[2]
RECEIPTS_PROTO = Path("cabinet/receipts/v1/events.proto")


def load_contracts_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("contracts", ROOT / "tools" / "contracts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


contracts = load_contracts_tool()


def classes(descriptors: FileDescriptorSet) -> dict[str, type[Message]]:
    """Message classes built from a descriptor set alone, as another release's code has them."""
    pool = descriptor_pool.DescriptorPool()
    for file in descriptors.file:
        pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
        for name in proto_breaking.messages(descriptors)
    }


def edited_proto(tmp_path: Path, old: str, new: str) -> FileDescriptorSet:
    """proto/ compiled after replacing old with new in receipts' events.proto."""
    copy = tmp_path / "proto"
    shutil.copytree(contracts.PROTO_DIR, copy, ignore=shutil.ignore_patterns("releases"))
    path = copy / RECEIPTS_PROTO
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))
    descriptors: FileDescriptorSet = contracts.descriptor_set(copy)
    return descriptors


def last_release() -> FileDescriptorSet:
    baseline = contracts.last_release()
    assert baseline is not None, "proto/releases/ holds no release"
    return proto_breaking.load(baseline)


def filled(message: Message, depth: int = 0) -> Message:
    """Every field set to a value that is not its default (one element in repeated ones)."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        message.FromDatetime(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))  # type: ignore[attr-defined]
        return message
    for field in descriptor.fields:
        target: Any = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target[sample(field.message_type.fields_by_name["key"])] = sample(
                field.message_type.fields_by_name["value"]
            )
        elif field.message_type is not None:
            if depth < 4:
                filled(target.add() if field.is_repeated else target, depth + 1)
        elif field.is_repeated:
            target.append(sample(field))
        else:
            setattr(message, field.name, sample(field))
    return message


def sample(field: Any) -> Any:
    """A value, not the default, for a scalar or enum field (a FieldDescriptor)."""
    if field.enum_type is not None:
        return field.enum_type.values[-1].number
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type == FieldDescriptor.TYPE_STRING:
        return f"{field.name}-value"
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"\x01\x02"
    if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return 1.5
    return 7


def subset(older: Any, newer: Any) -> bool:
    """Everything older holds is in newer (which may hold more: fields added since)."""
    if isinstance(older, dict):
        return isinstance(newer, dict) and all(
            key in newer and subset(value, newer[key]) for key, value in older.items()
        )
    if isinstance(older, list):
        return len(older) == len(newer) and all(map(subset, older, newer))
    return bool(older == newer)


def test_proto_has_no_breaking_change_since_the_last_release() -> None:
    result = subprocess.run(
        [sys.executable, "tools/contracts.py", "breaking"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No breaking change since" in result.stdout


BREAKING_EDITS = {
    "field removed": ("  string submission_sha256 = 4;\n", "", "removed without `reserved"),
    "type changed": ("int32 version = 3;", "int64 version = 3;", "type changed"),
    "repeated made singular": (
        "repeated ReceiptCheck receipts = 5;",
        "ReceiptCheck receipts = 5;",
        "changed from repeated to singular",
    ),
    "field renumbered": ("string submission_id = 2;", "string submission_id = 9;", "removed"),
    "field renamed": ("string submission_id = 2;", "string submission_ref = 2;", "renamed"),
    "message removed": ("ReceiptCheck", "ReceiptResult", "ReceiptCheck: message removed"),
}


@pytest.mark.parametrize("edit", BREAKING_EDITS, ids=str)
def test_the_gate_fails_on_a_breaking_change(edit: str, tmp_path: Path) -> None:
    old, new, expected = BREAKING_EDITS[edit]
    problems = proto_breaking.breaking_changes(last_release(), edited_proto(tmp_path, old, new))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "  google.protobuf.Timestamp checked_at = 7;\n",
            "  google.protobuf.Timestamp checked_at = 7;\n  string note = 8;\n",
        ),
        (
            "  string submission_sha256 = 4;\n",
            '  reserved 4;\n  reserved "submission_sha256";\n',
        ),
    ],
    ids=["field added", "field removed and reserved"],
)
def test_the_gate_passes_compatible_changes(old: str, new: str, tmp_path: Path) -> None:
    assert proto_breaking.breaking_changes(last_release(), edited_proto(tmp_path, old, new)) == []


def test_a_new_field_may_not_take_a_reserved_number(tmp_path: Path) -> None:
    reserved = edited_proto(tmp_path / "a", "  string submission_sha256 = 4;\n", "  reserved 4;\n")
    reused = edited_proto(
        tmp_path / "b", "  string submission_sha256 = 4;\n", "  bytes digest = 4;\n"
    )
    problems = proto_breaking.breaking_changes(reserved, reused)
    assert any("reuses a reserved" in problem for problem in problems), problems


def test_todays_consumers_read_events_from_a_newer_producer(tmp_path: Path) -> None:
    """A producer one release ahead adds a field; today's decoding keeps every known field
    and carries the new one along untouched (a dead letter re-driven keeps it)."""
    newer = classes(
        edited_proto(
            tmp_path,
            "  google.protobuf.Timestamp checked_at = 7;\n",
            "  google.protobuf.Timestamp checked_at = 7;\n  string note = 8;\n",
        )
    )
    sent = filled(newer["cabinet.receipts.v1.ReceiptsChecked"]())
    assert sent.note == "note-value"  # type: ignore[attr-defined]
    record = to_kafka(Event(payload=sent, key="obligation-1", source="/newer-producer"))
    received = from_kafka(record.key, record.value, record.headers)
    known = json_format.MessageToDict(received.payload)
    assert "note" not in known
    assert subset(known, json_format.MessageToDict(sent))
    assert received.payload.SerializeToString() == sent.SerializeToString()


@pytest.mark.parametrize("message_type", sorted(MESSAGE_OF_TYPE))
def test_a_consumer_of_the_last_release_reads_todays_events(message_type: str) -> None:
    previous = classes(last_release())
    assert message_type in previous, f"{message_type} is new since the last release"
    sent = filled(MESSAGE_OF_TYPE[message_type]())
    record = to_kafka(Event(payload=sent, key="obligation-1", source="/todays-producer"))
    headers = dict(record.headers)
    assert headers["ce_type"].decode() == message_type
    assert headers["ce_dataschema"].decode().endswith(message_type)
    read = previous[message_type].FromString(record.value)
    # An enum value added since is kept as its number by the older reader.
    assert subset(
        json_format.MessageToDict(read, use_integers_for_enums=True),
        json_format.MessageToDict(sent, use_integers_for_enums=True),
    )
    assert json_format.MessageToDict(read), "the previous release read nothing"
