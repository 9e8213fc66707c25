"""Checks an audit pack against Cabinet's public key and names every problem it finds.

Hashes and the signature are checked over the JSON exactly as it appears in the pack (not
over a re-parsed copy), so a change that a lenient parser would smooth over still shows.

Each kind of tampering is reported as itself, not as the knock-on failures it causes:

- ``edited``: a record's content no longer matches its hash; or it was re-hashed, and the
  next record is chained to a different record.
- ``removed``: a sequence number of the chain has no record (the end of the chain is known
  from the signed manifest).
- ``inserted``: a record the chain does not link: a second record with the same sequence
  number, one beyond the sealed end, or one from another chain.
- ``reordered``: intact records that are out of sequence order in the pack.
- ``manifest_mismatch``: records intact and linked, but not the ones the manifest describes.
- ``bad_signature``: the manifest's signature does not verify with the given key, and no
  altered manifest field explains it.
- ``malformed``: not an audit pack at all.

A signed manifest is trusted to say where the chain ends; an unsigned one is not, so the
records alone are checked.
"""

import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from cabinet_common import signing
from cabinet_cycles.audit.chain import AuditScope, canonical_json, record_hash, sha256_hex
from cabinet_cycles.audit.pack import Manifest

PACK_FIELDS = {"manifest", "records", "signature"}
DERIVED_FIELDS = (
    "scope",
    "record_count",
    "first_sequence",
    "last_sequence",
    "chain_head",
    "records_sha256",
)


class ProblemKind(StrEnum):
    MALFORMED = "malformed"
    EDITED = "edited"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    MANIFEST_MISMATCH = "manifest_mismatch"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    sequence: int | None
    message: str

    def __str__(self) -> str:
        where = f" (record {self.sequence})" if self.sequence is not None else ""
        return f"{self.kind}{where}: {self.message}"


@dataclass(frozen=True)
class VerificationReport:
    problems: list[Problem]
    manifest: Manifest | None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Entry:
    """One record as found in the pack."""

    position: int
    sequence: int
    scope: object
    prev_hash: object
    stored_hash: object
    computed_hash: str

    @property
    def intact(self) -> bool:
        return self.stored_hash == self.computed_hash

    @property
    def hashes(self) -> tuple[object, str]:
        # A successor that points at either still chains to this record: if only the hash
        # field was altered, the record is already reported as edited.
        return self.stored_hash, self.computed_hash


def verify(document: bytes, public_key: Ed25519PublicKey) -> VerificationReport:
    try:
        pack = json.loads(document.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        return _malformed(f"not a JSON document: {error}")
    if not isinstance(pack, dict) or set(pack) != PACK_FIELDS:
        return _malformed("an audit pack has exactly: manifest, records, signature")
    raw_manifest, raw_records, signature = pack["manifest"], pack["records"], pack["signature"]
    if not isinstance(raw_records, list) or not isinstance(signature, str):
        return _malformed("records must be a list and signature a string")
    try:
        manifest = Manifest.model_validate(raw_manifest)
    except ValidationError as error:
        return _malformed(f"the manifest is not valid: {error.errors()[0]['msg']}")

    signature_problem = _signature_problem(raw_manifest, manifest, signature, public_key)
    trusted = signature_problem is None
    entries, problems = _read(raw_records)
    scope = manifest.scope if trusted else _usual_scope(entries, manifest.scope)
    sealed = _SealedEnd(manifest.last_sequence, manifest.chain_head) if trusted else None
    problems += _chain_problems(entries, scope, sealed)
    if problems:
        mismatches = []
    else:
        mismatches = _manifest_mismatches(manifest, raw_records, entries, scope, trusted)
    problems += mismatches
    # An altered manifest is why its signature fails; saying so twice would hide which.
    key_mismatch = manifest.key_id != signing.key_id(public_key)
    if signature_problem is not None and (key_mismatch or not mismatches):
        problems.append(signature_problem)
    return VerificationReport(problems, manifest)


def _malformed(message: str) -> VerificationReport:
    return VerificationReport([Problem(ProblemKind.MALFORMED, None, message)], None)


def _signature_problem(
    raw_manifest: Any, manifest: Manifest, signature: str, public_key: Ed25519PublicKey
) -> Problem | None:
    given = signing.key_id(public_key)
    if manifest.key_id != given:
        message = f"the pack was sealed with key {manifest.key_id}, not with the given key {given}"
    elif manifest.algorithm != signing.ALGORITHM:
        message = f"unsupported signature algorithm {manifest.algorithm!r}"
    elif not signing.verify(public_key, canonical_json(raw_manifest), signature):
        message = (
            "the manifest's signature does not verify: the manifest or its signature was altered"
        )
    else:
        return None
    return Problem(ProblemKind.BAD_SIGNATURE, None, message)


def _read(raw_records: list[Any]) -> tuple[list[_Entry], list[Problem]]:
    entries: list[_Entry] = []
    problems: list[Problem] = []
    for position, raw in enumerate(raw_records):
        sequence = raw.get("sequence") if isinstance(raw, dict) else None
        try:
            if not isinstance(sequence, int) or isinstance(sequence, bool):
                raise ValueError("it has no sequence number")
            computed = record_hash({k: v for k, v in raw.items() if k != "hash"})
        except ValueError as error:
            message = f"the record at position {position + 1} is unreadable: {error}"
            problems.append(Problem(ProblemKind.MALFORMED, None, message))
            continue
        entries.append(
            _Entry(
                position=position,
                sequence=sequence,
                scope=raw.get("scope"),
                prev_hash=raw.get("prev_hash"),
                stored_hash=raw.get("hash"),
                computed_hash=computed,
            )
        )
    return entries, problems


def _usual_scope(entries: list[_Entry], fallback: AuditScope) -> AuditScope:
    if not entries:
        return fallback
    [(scope_json, _)] = Counter(canonical_json(e.scope) for e in entries).most_common(1)
    try:
        return AuditScope.model_validate_json(scope_json)
    except ValidationError:
        return fallback


class _SealedEnd(NamedTuple):
    """Where the chain ended when it was sealed, from a manifest whose signature holds."""

    last: int
    head: str


def _chain_problems(
    entries: list[_Entry], scope: AuditScope, sealed: _SealedEnd | None
) -> list[Problem]:
    placed = _placed(entries, sealed)
    if sealed is not None:
        last, head = sealed
    else:
        last, head = max((e.sequence for e in placed), default=0), None
    problems: list[Problem] = []
    groups: dict[int, list[_Entry]] = {}
    for entry in placed:
        if entry.scope != scope.model_dump() and entry.intact:
            message = f"record {entry.sequence} belongs to another chain than {_name(scope)}"
            problems.append(Problem(ProblemKind.INSERTED, entry.sequence, message))
        elif not 1 <= entry.sequence <= last:
            message = (
                f"record {entry.sequence} lies outside the sealed chain of records 1 to {last}"
            )
            problems.append(Problem(ProblemKind.INSERTED, entry.sequence, message))
        else:
            groups.setdefault(entry.sequence, []).append(entry)

    links = _Links(groups, scope, last, head)
    chain: dict[int, _Entry] = {}
    for sequence, group in groups.items():
        chain[sequence] = max(
            group, key=lambda e: (links.referenced(e), links.linked(e), e.intact, -e.position)
        )
        for entry in group:
            if entry is not chain[sequence]:
                message = f"a second record {sequence} that the chain does not link to"
                problems.append(Problem(ProblemKind.INSERTED, sequence, message))
            elif not entry.intact:
                message = f"record {sequence} does not match its hash"
                problems.append(Problem(ProblemKind.EDITED, sequence, message))

    problems += _gaps(sorted(chain), last)
    problems += _broken_links(chain, scope, last, head)
    problems += _out_of_order(chain.values())
    return _unique(problems)


def _gaps(present: list[int], last: int) -> list[Problem]:
    problems = []
    expected = 1
    for sequence in [*present, last + 1]:
        if sequence > expected:
            missing = (
                f"record {expected} is missing"
                if sequence - 1 == expected
                else f"records {expected} to {sequence - 1} are missing"
            )
            message = f"{missing} from the chain of records 1 to {last}"
            problems.append(Problem(ProblemKind.REMOVED, expected, message))
        expected = sequence + 1
    return problems


def _placed(entries: list[_Entry], sealed: _SealedEnd | None) -> list[_Entry]:
    """Each record at the place the chain gives it. An edited record's own sequence number
    or scope may be what was edited, so the record pointing at it (or the sealed head)
    decides where it belongs."""
    pointed_at_by: dict[str, int] = {}
    for entry in entries:
        if isinstance(entry.prev_hash, str):
            pointed_at_by.setdefault(entry.prev_hash, entry.sequence)

    def place(entry: _Entry) -> int:
        if sealed is not None and sealed.head in entry.hashes:
            return sealed.last
        for hash_ in entry.hashes:
            if isinstance(hash_, str) and hash_ in pointed_at_by:
                return pointed_at_by[hash_] - 1
        return entry.sequence

    return [e if e.intact else replace(e, sequence=place(e)) for e in entries]


def _name(scope: AuditScope) -> str:
    return f"{scope.department_id}/{scope.form_type_id}/{scope.period_key}"


class _Links:
    """Which records point at which, among the candidates for each sequence number."""

    def __init__(
        self, groups: dict[int, list[_Entry]], scope: AuditScope, last: int, head: str | None
    ) -> None:
        self._groups = groups
        self._genesis = scope.genesis_hash
        self._last = last
        self._head = head

    def linked(self, entry: _Entry) -> bool:
        if entry.sequence == 1:
            return entry.prev_hash == self._genesis
        return any(entry.prev_hash in p.hashes for p in self._groups.get(entry.sequence - 1, []))

    def referenced(self, entry: _Entry) -> bool:
        if entry.sequence == self._last:
            return self._head is not None and entry.stored_hash == self._head
        return any(n.prev_hash in entry.hashes for n in self._groups.get(entry.sequence + 1, []))


def _broken_links(
    chain: dict[int, _Entry], scope: AuditScope, last: int, head: str | None
) -> list[Problem]:
    def forward_ok(entry: _Entry) -> bool:
        if entry.sequence == last:
            return head is None or entry.stored_hash == head
        successor = chain.get(entry.sequence + 1)
        return successor is None or successor.prev_hash in entry.hashes

    problems = []
    for sequence, entry in sorted(chain.items()):
        previous = chain.get(sequence - 1)
        if sequence == 1:
            if entry.prev_hash != scope.genesis_hash and entry.intact:
                message = "record 1 does not start from the chain's genesis hash"
                problems.append(Problem(ProblemKind.EDITED, 1, message))
            continue
        if previous is None or entry.prev_hash in previous.hashes:
            continue
        if not (entry.intact and previous.intact):
            continue  # already reported as edited
        # A re-hashed record breaks only the link after it; both links broken is the record
        # itself, not its predecessor.
        if forward_ok(entry):
            message = (
                f"record {previous.sequence} is not the record {sequence} was chained to:"
                " it was altered and its hash recomputed"
            )
            problems.append(Problem(ProblemKind.EDITED, previous.sequence, message))
        else:
            message = (
                f"record {sequence} is chained to neither of its neighbours:"
                " it was altered and its hash recomputed"
            )
            problems.append(Problem(ProblemKind.EDITED, sequence, message))
    return problems


def _out_of_order(chain: Iterable[_Entry]) -> list[Problem]:
    """The fewest records that must move to restore sequence order (outside the longest
    increasing run of sequence numbers in pack order)."""
    in_pack_order = sorted(chain, key=lambda e: e.position)
    sequences = [e.sequence for e in in_pack_order]
    tail_values: list[int] = []
    tail_index: list[int] = []
    previous = [-1] * len(sequences)
    for i, sequence in enumerate(sequences):
        k = bisect_left(tail_values, sequence)
        previous[i] = tail_index[k - 1] if k else -1
        if k == len(tail_values):
            tail_values.append(sequence)
            tail_index.append(i)
        else:
            tail_values[k] = sequence
            tail_index[k] = i
    in_order = set()
    i = tail_index[-1] if tail_index else -1
    while i != -1:
        in_order.add(i)
        i = previous[i]
    return [
        Problem(
            ProblemKind.REORDERED,
            e.sequence,
            f"record {e.sequence} is out of order: it is at position {e.position + 1} of the pack",
        )
        for i, e in enumerate(in_pack_order)
        if i not in in_order
    ]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[ProblemKind, int | None], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.kind, problem.sequence), problem)
    return sorted(seen.values(), key=lambda p: (p.sequence or 0, list(ProblemKind).index(p.kind)))


def _manifest_mismatches(
    manifest: Manifest,
    raw_records: list[Any],
    entries: list[_Entry],
    scope: AuditScope,
    trusted: bool,
) -> list[Problem]:
    sequences = [e.sequence for e in entries]
    found: dict[str, object] = {
        "scope": scope,
        "record_count": len(entries),
        "first_sequence": min(sequences, default=0),
        "last_sequence": max(sequences, default=0),
        "chain_head": entries[-1].stored_hash if entries else scope.genesis_hash,
        "records_sha256": sha256_hex(canonical_json(raw_records)),
    }
    why = (
        "the records were rewritten after sealing"
        if trusted
        else "the manifest was altered after signing"
    )
    return [
        Problem(
            ProblemKind.MANIFEST_MISMATCH,
            None,
            f"the manifest's {field} is {_show(getattr(manifest, field))}"
            f" but the records give {_show(value)}: {why}",
        )
        for field in DERIVED_FIELDS
        if (value := found[field]) != getattr(manifest, field)
    ]


def _show(value: object) -> str:
    return _name(value) if isinstance(value, AuditScope) else repr(value)
