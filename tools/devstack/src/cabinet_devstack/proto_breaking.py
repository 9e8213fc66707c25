"""Breaking changes between two versions of Cabinet's event contracts, read from protobuf
descriptor sets (what protoc makes of proto/), so a consumer still running the previous
release can read what today's producers write, and the other way round.

Breaking, for a message the previous release had: the message is gone; a field number is
gone without being reserved (number and name), so it could be reused with another meaning;
a field's type, message/enum type, or cardinality (repeated or not) changed; a field was
renamed (the number is what travels, but code and JSON use the name); a new field takes a
number or name the previous release reserved. The same for enum values. Adding messages,
fields and enum values is not breaking.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from google.protobuf import text_format
from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
    FileDescriptorSet,
)

# Only Cabinet's own files are compared (not google/protobuf/*, included for imports).
OWN_PACKAGE_PREFIX = "cabinet."


def load(path: Path) -> FileDescriptorSet:
    descriptors = FileDescriptorSet()
    text_format.Parse(path.read_text(), descriptors)
    return descriptors


def dump(descriptors: FileDescriptorSet) -> str:
    return text_format.MessageToString(descriptors)


def _messages(
    prefix: str, messages: list[DescriptorProto]
) -> Iterator[tuple[str, DescriptorProto]]:
    for message in messages:
        name = f"{prefix}.{message.name}"
        yield name, message
        yield from _messages(name, list(message.nested_type))


def _enums(descriptors: FileDescriptorSet) -> dict[str, EnumDescriptorProto]:
    enums = {}
    for file in _own_files(descriptors):
        for enum in file.enum_type:
            enums[f"{file.package}.{enum.name}"] = enum
        for name, message in _messages(file.package, list(file.message_type)):
            for enum in message.enum_type:
                enums[f"{name}.{enum.name}"] = enum
    return enums


def _own_files(descriptors: FileDescriptorSet) -> list:  # type: ignore[type-arg]
    return [f for f in descriptors.file if f.package.startswith(OWN_PACKAGE_PREFIX)]


def messages(descriptors: FileDescriptorSet) -> dict[str, DescriptorProto]:
    return {
        name: message
        for file in _own_files(descriptors)
        for name, message in _messages(file.package, list(file.message_type))
    }


def _reserved_number(
    descriptor: DescriptorProto | EnumDescriptorProto, number: int, *, end_inclusive: bool
) -> bool:
    extra = 1 if end_inclusive else 0
    return any(r.start <= number < r.end + extra for r in descriptor.reserved_range)


def _reserved(
    descriptor: DescriptorProto | EnumDescriptorProto,
    number: int,
    name: str,
    *,
    end_inclusive: bool,
) -> bool:
    """Both the number and the name reserved: neither can come back with another meaning."""
    in_range = _reserved_number(descriptor, number, end_inclusive=end_inclusive)
    return in_range and name in descriptor.reserved_name


def _field_type(field: FieldDescriptorProto) -> str:
    kind = FieldDescriptorProto.Type.Name(field.type).removeprefix("TYPE_").lower()
    return f"{kind} {field.type_name.lstrip('.')}".strip()


def _cardinality(field: FieldDescriptorProto) -> str:
    return "repeated" if field.label == FieldDescriptorProto.LABEL_REPEATED else "singular"


def _message_breaks(name: str, old: DescriptorProto, new: DescriptorProto) -> Iterator[str]:
    new_fields = {field.number: field for field in new.field}
    for field in old.field:
        where = f"{name}.{field.name} = {field.number}"
        now = new_fields.get(field.number)
        if now is None:
            # Message field ranges are end-exclusive in descriptors.
            if not _reserved(new, field.number, field.name, end_inclusive=False):
                reserve = f'reserved {field.number}; reserved "{field.name}";'
                yield f"{where}: removed without `{reserve}`"
            continue
        if _field_type(now) != _field_type(field):
            yield f"{where}: type changed from {_field_type(field)} to {_field_type(now)}"
        if _cardinality(now) != _cardinality(field):
            yield f"{where}: changed from {_cardinality(field)} to {_cardinality(now)}"
        if now.name != field.name:
            yield f"{where}: renamed to {now.name}"
    for field in new.field:
        if _reserved_number(old, field.number, end_inclusive=False) or (
            field.name in old.reserved_name
        ):
            yield f"{name}.{field.name} = {field.number}: reuses a reserved number or name"


def _enum_breaks(name: str, old: EnumDescriptorProto, new: EnumDescriptorProto) -> Iterator[str]:
    new_values = {value.number: value for value in new.value}
    for value in old.value:
        now = new_values.get(value.number)
        where = f"{name}.{value.name} = {value.number}"
        if now is None:
            # Enum reserved ranges are end-inclusive.
            if not _reserved(new, value.number, value.name, end_inclusive=True):
                yield f"{where}: removed without `reserved`"
        elif now.name != value.name:
            yield f"{where}: renamed to {now.name}"


def breaking_changes(old: FileDescriptorSet, new: FileDescriptorSet) -> list[str]:
    problems: list[str] = []
    new_messages = messages(new)
    for name, message in messages(old).items():
        if name not in new_messages:
            problems.append(f"{name}: message removed")
            continue
        problems.extend(_message_breaks(name, message, new_messages[name]))
    new_enums = _enums(new)
    for name, enum in _enums(old).items():
        if name not in new_enums:
            problems.append(f"{name}: enum removed")
            continue
        problems.extend(_enum_breaks(name, enum, new_enums[name]))
    return problems
