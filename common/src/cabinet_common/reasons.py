"""Reason codes between their protobuf form (events) and their plain form (workflow models)."""

from cabinet.common.v1 import types_pb2
from cabinet_common.obligation_workflow import ReasonModel

_PREFIX = "REASON_CODE_"


def reason(
    code: "types_pb2.ReasonCode.ValueType", message: str, field_id: str | None = None
) -> types_pb2.Reason:
    return types_pb2.Reason(code=code, message=message, field_id=field_id or "")


def to_model(proto: types_pb2.Reason) -> ReasonModel:
    """The proto's empty field_id (a reason about no one question) becomes None."""
    return ReasonModel(
        code=types_pb2.ReasonCode.Name(proto.code).removeprefix(_PREFIX),
        message=proto.message,
        field_id=proto.field_id or None,
    )


def to_proto(model: ReasonModel) -> types_pb2.Reason:
    return reason(types_pb2.ReasonCode.Value(_PREFIX + model.code), model.message, model.field_id)
