"""Audit packs: sealing, and verification naming each kind of tampering as itself."""

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cabinet_common.signing import Signer, generate_seed, public_key_text
from cabinet_cycles.audit.chain import (
    AuditScope,
    ChainHead,
    canonical_json,
    next_record,
    record_hash,
)
from cabinet_cycles.audit.pack import AuditPack, records_sha256, seal
from cabinet_cycles.audit.verify import ProblemKind, verify
from tests.unit.audit_samples import SCOPE, SEALED_AT, SIGNER, entry, pack

Document = dict[str, Any]
PUBLIC_KEY = SIGNER.public_key
INTRUDER = Signer.from_config(generate_seed())
FAR = 10**12


def document(length: int = 5) -> Document:
    parsed: Document = json.loads(pack(length).to_json())
    return parsed


def problems(doc: Document | bytes) -> list[tuple[ProblemKind, int | None]]:
    report = verify(doc if isinstance(doc, bytes) else canonical_json(doc), PUBLIC_KEY)
    return [(p.kind, p.sequence) for p in report.problems]


def rehash(record: Document) -> None:
    record["hash"] = record_hash({k: v for k, v in record.items() if k != "hash"})


def resign(doc: Document, signer: Signer) -> None:
    doc["manifest"]["key_id"] = signer.key_id
    doc["signature"] = signer.sign(canonical_json(doc["manifest"]))


def test_the_manifest_describes_the_records_and_is_signed() -> None:
    sealed = pack(3)
    manifest = sealed.manifest
    assert manifest.scope == SCOPE
    assert (manifest.record_count, manifest.first_sequence, manifest.last_sequence) == (3, 1, 3)
    assert manifest.chain_head == sealed.records[-1].hash
    assert manifest.records_sha256 == records_sha256(sealed.records)
    assert (manifest.key_id, manifest.algorithm) == (SIGNER.key_id, "Ed25519")
    assert manifest.period_closed


def test_a_pack_is_the_same_bytes_every_time() -> None:
    first = pack(4).to_json()
    assert pack(4).to_json() == first
    assert AuditPack.model_validate_json(first).to_json() == first
    assert canonical_json(json.loads(first)) == first


def test_an_untouched_pack_verifies() -> None:
    report = verify(pack(5).to_json(), PUBLIC_KEY)
    assert report.ok, report.problems
    assert report.manifest is not None
    assert report.manifest.record_count == 5


def test_an_empty_chain_seals_and_verifies() -> None:
    empty = seal(SCOPE, [], SIGNER, SEALED_AT, period_closed=True)
    assert empty.manifest.chain_head == SCOPE.genesis_hash
    assert verify(empty.to_json(), PUBLIC_KEY).ok


def edit_a_field(doc: Document) -> None:
    doc["records"][2]["actor"] = "caseworker-9"


def edit_a_field_and_recompute_its_hash(doc: Document) -> None:
    doc["records"][2]["to_status"] = "waived"
    rehash(doc["records"][2])


def edit_the_sequence_number(doc: Document) -> None:
    doc["records"][2]["sequence"] = 9


def edit_the_last_record(doc: Document) -> None:
    doc["records"][4]["reason"] = "nothing to see"


def remove_a_record_in_the_middle(doc: Document) -> None:
    del doc["records"][2]


def remove_two_records_in_a_row(doc: Document) -> None:
    del doc["records"][2:4]


def remove_the_first_record(doc: Document) -> None:
    del doc["records"][0]


def remove_the_last_record(doc: Document) -> None:
    del doc["records"][4]


def insert_a_forged_record(doc: Document) -> None:
    forged = copy.deepcopy(doc["records"][2])
    forged.update(actor="caseworker-9", to_status="accepted", event_id="forged")
    rehash(forged)
    doc["records"].insert(3, forged)


def append_a_forged_record_after_sealing(doc: Document) -> None:
    last = doc["records"][-1]
    forged = {**last, "sequence": 6, "prev_hash": last["hash"], "event_id": "forged"}
    rehash(forged)
    doc["records"].append(forged)


def append_a_record_far_beyond_the_end(doc: Document) -> None:
    forged = {**doc["records"][-1], "sequence": FAR, "event_id": "forged"}
    rehash(forged)
    doc["records"].append(forged)


def append_a_record_far_beyond_the_end_and_reseal(doc: Document) -> None:
    append_a_record_far_beyond_the_end(doc)
    resign(doc, INTRUDER)


def insert_a_record_from_another_period(doc: Document) -> None:
    other = AuditScope(department_id="demo", form_type_id="vat-return", period_key="2026-Q3")
    foreign = next_record(ChainHead.genesis(other), entry(1)).model_dump(mode="json")
    doc["records"].insert(1, foreign)


def swap_two_records(doc: Document) -> None:
    records = doc["records"]
    records[2], records[3] = records[3], records[2]


def move_a_record_to_the_end(doc: Document) -> None:
    doc["records"].append(doc["records"].pop(1))


def change_the_manifest(doc: Document) -> None:
    doc["manifest"]["record_count"] = 4


def change_the_manifests_period(doc: Document) -> None:
    doc["manifest"]["scope"]["period_key"] = "2027-Q1"


def rewrite_the_chain_from_a_record_on(doc: Document) -> None:
    records = doc["records"]
    records[1]["actor"] = "caseworker-9"
    rehash(records[1])
    for previous, record in pairwise(records[1:]):
        record["prev_hash"] = previous["hash"]
        rehash(record)


def change_the_signature(doc: Document) -> None:
    signature = doc["signature"]
    doc["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]


def sign_with_another_key(doc: Document) -> None:
    resign(doc, INTRUDER)


def sign_with_another_key_under_our_key_id(doc: Document) -> None:
    doc["signature"] = INTRUDER.sign(canonical_json(doc["manifest"]))


def remove_the_last_record_and_reseal_with_another_key(doc: Document) -> None:
    del doc["records"][4]
    manifest = doc["manifest"]
    manifest.update(
        record_count=4,
        last_sequence=4,
        chain_head=doc["records"][3]["hash"],
        records_sha256=records_sha256(AuditPack.model_validate(doc).records),
    )
    resign(doc, INTRUDER)


def remove_a_record_and_edit_another(doc: Document) -> None:
    del doc["records"][3]
    doc["records"][0]["reason"] = "nothing to see"


E = ProblemKind.EDITED
R = ProblemKind.REMOVED
INS = ProblemKind.INSERTED
ORD = ProblemKind.REORDERED
MM = ProblemKind.MANIFEST_MISMATCH
SIG = ProblemKind.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (edit_a_field, [(E, 3)]),
        (edit_a_field_and_recompute_its_hash, [(E, 3)]),
        (edit_the_sequence_number, [(E, 3)]),
        (edit_the_last_record, [(E, 5)]),
        (remove_a_record_in_the_middle, [(R, 3)]),
        (remove_two_records_in_a_row, [(R, 3)]),
        (remove_the_first_record, [(R, 1)]),
        (remove_the_last_record, [(R, 5)]),
        (insert_a_forged_record, [(INS, 3)]),
        (append_a_forged_record_after_sealing, [(INS, 6)]),
        (append_a_record_far_beyond_the_end, [(INS, FAR)]),
        # Unsigned, the manifest cannot say where the chain ends: the gap is what shows.
        (append_a_record_far_beyond_the_end_and_reseal, [(R, 6), (SIG, None)]),
        (insert_a_record_from_another_period, [(INS, 1)]),
        (swap_two_records, [(ORD, 4)]),
        (move_a_record_to_the_end, [(ORD, 2)]),
        (change_the_manifest, [(MM, None)]),
        (change_the_manifests_period, [(MM, None)]),
        (rewrite_the_chain_from_a_record_on, [(MM, None), (MM, None)]),
        (change_the_signature, [(SIG, None)]),
        (sign_with_another_key, [(SIG, None)]),
        (sign_with_another_key_under_our_key_id, [(SIG, None)]),
        (remove_the_last_record_and_reseal_with_another_key, [(SIG, None)]),
        (remove_a_record_and_edit_another, [(E, 1), (R, 4)]),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_each_kind_of_tampering_is_reported_as_itself(
    tamper: Callable[[Document], None], expected: list[tuple[ProblemKind, int | None]]
) -> None:
    doc = document()
    tamper(doc)
    assert problems(doc) == expected


def test_every_problem_has_a_one_line_message() -> None:
    doc = document()
    remove_a_record_and_edit_another(doc)
    swap_two_records(doc)
    change_the_signature(doc)
    report = verify(canonical_json(doc), PUBLIC_KEY)
    lines = [str(problem) for problem in report.problems]
    assert lines == [
        "edited (record 1): record 1 does not match its hash",
        "removed (record 4): record 4 is missing from the chain of records 1 to 5",
        "reordered (record 5): record 5 is out of order: it is at position 3 of the pack",
        "bad_signature: the manifest's signature does not verify:"
        " the manifest or its signature was altered",
    ]


def test_consecutive_missing_records_are_one_problem() -> None:
    doc = document()
    remove_two_records_in_a_row(doc)
    (problem,) = verify(canonical_json(doc), PUBLIC_KEY).problems
    assert problem.message == "records 3 to 4 are missing from the chain of records 1 to 5"


def test_the_manifest_mismatch_names_the_field() -> None:
    doc = document()
    change_the_manifest(doc)
    (problem,) = verify(canonical_json(doc), PUBLIC_KEY).problems
    assert problem.message == (
        "the manifest's record_count is 4 but the records give 5:"
        " the manifest was altered after signing"
    )


@pytest.mark.parametrize(
    "text",
    [b"", b"not json", b"[]", b'{"manifest": {}, "records": [], "signature": ""}'],
)
def test_what_is_not_an_audit_pack_is_malformed(text: bytes) -> None:
    assert problems(text) == [(ProblemKind.MALFORMED, None)]


SERIALIZED = pack(3).to_json()


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(position=st.integers(0, len(SERIALIZED) - 1), byte=st.integers(0, 255))
def test_any_changed_byte_fails_verification(position: int, byte: int) -> None:
    changed = bytearray(SERIALIZED)
    changed[position] = byte
    try:
        # A change that leaves the same JSON value (say, the case of a \\u escape) is no
        # change to what was sealed.
        unchanged = json.loads(changed.decode()) == json.loads(SERIALIZED)
    except ValueError:
        unchanged = False
    if byte == SERIALIZED[position] or unchanged:
        return
    assert not verify(bytes(changed), PUBLIC_KEY).ok


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(0, 4), field=st.sampled_from(["", "sequence", "hash", "scope"]), value=JSON
)
def test_whatever_stands_in_a_record_is_reported_not_raised(
    position: int, field: str, value: object
) -> None:
    doc = document()
    if field:
        doc["records"][position][field] = value
    else:
        doc["records"][position] = value
    assume(doc != document())
    assert not verify(canonical_json(doc), PUBLIC_KEY).ok


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "cabinet-audit"
    return subprocess.run(
        [str(executable), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_cli_says_ok_and_exits_0_for_an_intact_pack(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    path.write_bytes(pack(5).to_json())
    result = run_cli("verify", str(path), "--public-key", public_key_text(PUBLIC_KEY))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"OK: 5 records, chain head {pack(5).records[-1].hash} (")


def test_the_cli_lists_each_problem_and_exits_1(tmp_path: Path) -> None:
    doc = document()
    edit_the_last_record(doc)
    remove_a_record_in_the_middle(doc)
    path = tmp_path / "pack.json"
    path.write_bytes(canonical_json(doc))
    result = run_cli("verify", str(path), "--public-key", public_key_text(PUBLIC_KEY))
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        "removed (record 3): record 3 is missing from the chain of records 1 to 5",
        "edited (record 5): record 5 does not match its hash",
    ]


def test_the_cli_fails_on_a_pack_sealed_with_another_key(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    path.write_bytes(pack(2, signer=INTRUDER).to_json())
    result = run_cli("verify", str(path), "--public-key", public_key_text(PUBLIC_KEY))
    assert result.returncode == 1
    assert "bad_signature" in result.stdout


@pytest.mark.parametrize("public_key", ["not-a-key", public_key_text(PUBLIC_KEY)[:-4]])
def test_the_cli_exits_2_when_it_cannot_check(tmp_path: Path, public_key: str) -> None:
    path = tmp_path / "pack.json"
    path.write_bytes(pack(1).to_json())
    assert run_cli("verify", str(path), "--public-key", public_key).returncode == 2
    missing = run_cli("verify", str(tmp_path / "absent.json"), "--public-key", public_key)
    assert missing.returncode == 2
