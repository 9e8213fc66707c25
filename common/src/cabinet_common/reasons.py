"""Reason codes between their protobuf form (events) and their plain form (workflow models)."""

from cabinet.common.v1 import types_pb2
from cabinet_common.obligation_workflow import ReasonModel

_PREFIX = "REASON_CODE_"


def reason(code: "types_pb2.ReasonCode.ValueType", message: str) -> types_pb2.Reason:
    return types_pb2.Reason(code=code, message=message)


def to_model(proto: types_pb2.Reason) -> ReasonModel:
    return ReasonModel(
        code=types_pb2.ReasonCode.Name(proto.code).removeprefix(_PREFIX), message=proto.message
    )


def to_proto(model: ReasonModel) -> types_pb2.Reason:
    return reason(types_pb2.ReasonCode.Value(_PREFIX + model.code), model.message)
