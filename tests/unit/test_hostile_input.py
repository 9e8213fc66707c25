"""Hostile input that used to answer 500 (found by fuzzing the running stack) is refused
with a clear 4xx problem document: NaN and Infinity, nesting ~1,000 deep (JSON and YAML),
numbers past int64, money with thousands of leading zeros, an extension to 9999-12-31,
return reasons of megabytes, a decision or a close after the quarter closed, and a filer
register with thousands of wrong rows (its answer is bounded)."""

import json
from datetime import date
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from cabinet_common import safe_json
from cabinet_common.form_types.money import NotMoney, parse_pounds
from cabinet_common.obligation_workflow import ReasonModel, ReturnDecision, ReturnedReceipt
from cabinet_common.problems import MAX_ITEMS, Problem
from cabinet_cycles import caseworker_api, quarter_api
from cabinet_cycles.caseworker_api import ExtendIn
from tests.unit.intake_support import Intake, line
from tests.unit.test_register_api import CSV, DEPARTMENT, HEADER, VAT_YAML, YAML, cycles

__all__ = ["cycles"]  # the fixture, shared with the register tests


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"a": [1, NaN]}'])
def test_nan_and_infinity_are_refused(text: str) -> None:
    with pytest.raises(safe_json.Unsafe) as refused:
        safe_json.loads(text)
    assert refused.value.code == "NOT_FINITE"


@pytest.mark.parametrize("depth", [safe_json.MAX_DEPTH + 1, 1_000, 100_000])
def test_deep_nesting_is_refused_without_recursing(depth: int) -> None:
    with pytest.raises(safe_json.Unsafe) as refused:
        safe_json.loads(nested(depth))
    assert refused.value.code == "NESTED_TOO_DEEP"
    with pytest.raises(safe_json.Unsafe):
        safe_json.load_yaml(nested(depth))


def test_ordinary_documents_pass() -> None:
    document = {"a": [1, 2.5, {"b": None}], "c": "NaN"}
    assert safe_json.loads(json.dumps(document)) == document
    assert safe_json.loads(nested(safe_json.MAX_DEPTH)) is not None


async def test_intake_refuses_nan_deep_nesting_and_huge_numbers(intake: Intake) -> None:
    url = "/departments/dept/obligations/obl-1/submissions"
    for body, code in [
        (b'{"answers": {}, "declared_total_pence": NaN, "receipts": []}', "NOT_FINITE"),
        (b'{"answers": ' + nested(1_000).encode() + b"}", "NESTED_TOO_DEEP"),
    ]:
        answer = await intake.client.post(
            url, content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code

    huge = await intake.submit([line("2026-08-01", 2**63)])
    assert huge.status_code == 422, huge.text
    assert huge.json()["errors"][0]["code"] == "TOO_LARGE"


def test_money_with_thousands_of_leading_zeros_is_not_money() -> None:
    with pytest.raises(NotMoney):
        parse_pounds("0" * 5_000 + "12.34")
    assert parse_pounds("0012.34") == 1234


def test_an_extension_is_bounded() -> None:
    with pytest.raises(ValidationError, match="at most 5 years"):
        ExtendIn(reason="asked", due_date=date(9999, 12, 31))


def test_return_reasons_of_megabytes_are_refused() -> None:
    big = ReasonModel(code="OTHER", message="x" * 3_000_000)
    with pytest.raises(ValidationError, match="too long"):
        ReturnDecision(reason="see reasons", reasons=[big])
    with pytest.raises(ValidationError):
        ReturnDecision(
            reason="see receipts",
            receipts=[ReturnedReceipt(receipt_id="r" * 65, reasons=[big])],
        )


class CompletedHandle:
    """A workflow handle whose workflow has finished, as Temporal answers then."""

    def _gone(self) -> RPCError:
        return RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b"")

    async def execute_update(self, *args: Any, **kwargs: Any) -> Any:
        raise self._gone()

    async def signal(self, *args: Any, **kwargs: Any) -> None:
        raise self._gone()


class CompletedTemporal:
    def get_workflow_handle(self, workflow_id: str) -> CompletedHandle:
        return CompletedHandle()


async def test_a_decision_after_the_quarter_closed_is_a_409() -> None:
    obligation = SimpleNamespace(workflow_id="obligation-x")
    with pytest.raises(Problem) as refused:
        await caseworker_api._decide(
            CompletedTemporal(),  # type: ignore[arg-type]
            obligation,  # type: ignore[arg-type]
            "accept",
            ReturnDecision(reason="r", reasons=[ReasonModel(code="A", message="b")]),
        )
    assert (refused.value.status, refused.value.code) == (409, "OBLIGATION_CLOSED")


async def test_a_second_close_is_a_409() -> None:
    class Opened:
        async def get(self, *args: Any) -> object:
            return object()

    with pytest.raises(Problem) as refused:
        await quarter_api.close_period(
            "dept",
            "vat-return",
            "2026-Q3",
            Opened(),  # type: ignore[arg-type]
            CompletedTemporal(),  # type: ignore[arg-type]
        )
    assert (refused.value.status, refused.value.code) == (409, "PERIOD_CLOSED")


async def test_a_deep_yaml_definition_is_a_422(cycles: httpx.AsyncClient) -> None:
    answer = await cycles.put(
        f"{DEPARTMENT}/form-types/vat-return", content=nested(1_000).encode(), headers=YAML
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "NESTED_TOO_DEEP"


async def test_a_register_of_thousands_of_wrong_rows_gets_a_bounded_answer(
    cycles: httpx.AsyncClient,
) -> None:
    await cycles.put(f"{DEPARTMENT}/form-types/vat-return", content=VAT_YAML, headers=YAML)
    rows = "".join(f"f{n},Filer {n},not-an-email,vat-return\n" for n in range(5_000))
    answer = await cycles.post(f"{DEPARTMENT}/filers/import", content=HEADER + rows, headers=CSV)
    assert answer.status_code == 422
    problem = answer.json()
    assert len(problem["errors"]) == MAX_ITEMS
    assert f"{5_000 - MAX_ITEMS:,} more" in problem["detail"]
    assert len(answer.content) < 20_000


async def test_a_multipart_body_with_a_non_ascii_part_header_is_a_400(intake: Intake) -> None:
    """Found by fuzzing: python-multipart's parse error was a 500."""
    body = b'--b\r\nContent-\xc2\xb7: form-data; name="x"\r\n\r\nx\r\n--b--\r\n'
    answer = await intake.client.post(
        "/departments/dept/obligations/obl-1/submissions",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b", "Idempotency-Key": "k"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "MALFORMED_FORM"
