"""submission_sha256: a canonical fingerprint of the answers, receipt lines and file hashes."""

import hashlib
import re
from datetime import date

import pytest

from cabinet_intake.schemas import ReceiptLineIn, SubmissionIn
from cabinet_intake.submissions import UploadedFile, submission_sha256


def uploaded(content: bytes, name: str = "receipt.pdf") -> UploadedFile:
    return UploadedFile(
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size_bytes=len(content),
        file_name=name,
    )


def receipt(amount_pence: int, payee: str = "Stationers Ltd") -> ReceiptLineIn:
    return ReceiptLineIn(
        date=date(2026, 8, 1), amount_pence=amount_pence, payee=payee, category="office"
    )


def body(answers: dict[str, str], amounts: tuple[int, int] = (1000, 234)) -> SubmissionIn:
    return SubmissionIn(
        answers=answers,
        declared_total_pence=sum(amounts),
        receipts=[receipt(amounts[0]), receipt(amounts[1], payee="Café Ltd")],
    )


ANSWERS = {"box1": "12.34", "box6": "1000", "notes": "quarterly return"}
FILES = [uploaded(b"first receipt"), uploaded(b"second receipt")]


def test_is_a_sha256_hex_digest_and_deterministic() -> None:
    digest = submission_sha256(body(ANSWERS), FILES)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert submission_sha256(body(dict(ANSWERS)), list(FILES)) == digest


def test_is_stable_under_answer_key_order() -> None:
    reordered = dict(reversed(list(ANSWERS.items())))
    assert list(reordered) != list(ANSWERS)
    assert submission_sha256(body(reordered), FILES) == submission_sha256(body(ANSWERS), FILES)


def test_changes_when_one_file_byte_changes() -> None:
    changed = [FILES[0], uploaded(b"second receipT")]
    assert submission_sha256(body(ANSWERS), changed) != submission_sha256(body(ANSWERS), FILES)


def test_ignores_file_metadata_other_than_the_content_hash() -> None:
    renamed = [uploaded(b"first receipt", name="other.pdf"), FILES[1]]
    assert submission_sha256(body(ANSWERS), renamed) == submission_sha256(body(ANSWERS), FILES)


def test_changes_when_an_amount_changes_by_one_penny() -> None:
    # The declared total follows the amounts, so only one line's amount moves.
    original = body(ANSWERS, (1000, 234))
    moved = SubmissionIn(
        answers=ANSWERS,
        declared_total_pence=original.declared_total_pence,
        receipts=[receipt(1001), receipt(234, payee="Café Ltd")],
    )
    assert submission_sha256(moved, FILES) != submission_sha256(original, FILES)


def test_changes_when_the_declared_total_changes_by_one_penny() -> None:
    original = body(ANSWERS)
    more = original.model_copy(update={"declared_total_pence": original.declared_total_pence + 1})
    assert submission_sha256(more, FILES) != submission_sha256(original, FILES)


def test_changes_when_an_answer_changes() -> None:
    changed = {**ANSWERS, "box1": "12.35"}
    assert submission_sha256(body(changed), FILES) != submission_sha256(body(ANSWERS), FILES)


def test_changes_when_the_files_swap_lines() -> None:
    swapped = [FILES[1], FILES[0]]
    assert submission_sha256(body(ANSWERS), swapped) != submission_sha256(body(ANSWERS), FILES)


def test_needs_one_file_per_receipt_line() -> None:
    with pytest.raises(ValueError):
        submission_sha256(body(ANSWERS), FILES[:1])
