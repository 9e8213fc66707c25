"""Reasons between their protobuf form (events) and their workflow form: the question a
reason concerns (its field_id) survives both ways, so the filer's page can link to it."""

import pytest

from cabinet.common.v1 import types_pb2
from cabinet_common.obligation_workflow import ReasonModel
from cabinet_common.reasons import reason, to_model, to_proto


@pytest.mark.parametrize("field_id", ["box3", None])
def test_a_reason_round_trips_with_its_question(field_id: str | None) -> None:
    model = ReasonModel(code="TOTAL_MISMATCH", message="Box 3 is 1p out", field_id=field_id)
    proto = to_proto(model)
    assert (proto.code, proto.message, proto.field_id) == (
        types_pb2.REASON_CODE_TOTAL_MISMATCH,
        "Box 3 is 1p out",
        field_id or "",
    )
    assert to_model(proto) == model
    assert to_model(types_pb2.Reason.FromString(proto.SerializeToString())) == model


def test_a_reason_from_the_receipts_check_keeps_its_question() -> None:
    proto = types_pb2.Reason(
        code=types_pb2.REASON_CODE_ANSWER_NOT_ACCEPTED,
        message="Box 6 must be in whole pounds",
        field_id="box6",
    )
    assert to_model(proto) == ReasonModel(
        code="ANSWER_NOT_ACCEPTED", message="Box 6 must be in whole pounds", field_id="box6"
    )


def test_a_reason_about_no_one_question_has_no_field_id() -> None:
    """Proto3's empty string is "not set": the model says None, not ""."""
    proto = reason(types_pb2.REASON_CODE_MISSING_REQUIRED_RECEIPT, "Add a fuel receipt")
    assert proto.field_id == ""
    assert to_model(proto).field_id is None


def test_a_reason_recorded_before_field_id_still_reads() -> None:
    """Workflow histories and activity inputs recorded before field_id existed."""
    old = ReasonModel.model_validate_json('{"code": "TOTAL_MISMATCH", "message": "m"}')
    assert old == ReasonModel(code="TOTAL_MISMATCH", message="m", field_id=None)
