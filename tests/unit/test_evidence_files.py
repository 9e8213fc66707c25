"""Intake decides a receipt file's type from its content, refuses what cannot be read, and
keeps the client's file name for display only; files are stored by their SHA-256."""

import hashlib
from pathlib import Path

import pytest

from cabinet_common.evidence import EvidenceNotFound, EvidenceStore, LocalEvidenceStore
from cabinet_intake.file_checks import (
    MAX_DISPLAY_NAME,
    FileProblem,
    FileProblemCode,
    display_name,
    inspect_file,
)
from tests import receipt_files

LIMIT = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("case", "content", "expected"),
    [
        ("a PDF", receipt_files.pdf(), "application/pdf"),
        ("a PNG", receipt_files.png(), "image/png"),
        ("a JPEG", receipt_files.jpeg(), "image/jpeg"),
        ("a CSV", receipt_files.csv_file(), "text/csv"),
        ("a CSV with a BOM", b"\xef\xbb\xbfa,b\n1,2\n", "text/csv"),
        ("zero bytes", b"", FileProblemCode.EMPTY),
        (
            "a truncated PDF",
            receipt_files.truncated(receipt_files.pdf()),
            FileProblemCode.UNREADABLE,
        ),
        ("a PDF header and nothing else", b"%PDF-1.7\n%%EOF\n", FileProblemCode.UNREADABLE),
        (
            "an encrypted PDF",
            receipt_files.pdf(password="secret"),
            FileProblemCode.PASSWORD_PROTECTED,
        ),
        (
            "a truncated PNG",
            receipt_files.truncated(receipt_files.png()),
            FileProblemCode.UNREADABLE,
        ),
        (
            "a truncated JPEG",
            receipt_files.truncated(receipt_files.jpeg()),
            FileProblemCode.UNREADABLE,
        ),
        (
            "a Windows program",
            b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200),
            FileProblemCode.NOT_ACCEPTED_TYPE,
        ),
        ("a zip", b"PK\x03\x04" + bytes(100), FileProblemCode.NOT_ACCEPTED_TYPE),
        ("binary noise", bytes(range(256)) * 4, FileProblemCode.NOT_ACCEPTED_TYPE),
        ("ragged text", b"a,b,c\n1\n", FileProblemCode.CSV_NOT_READABLE),
        (
            "a web page",
            b"<!DOCTYPE html>\n<html><body><p>Receipt, thanks</p></body></html>\n",
            FileProblemCode.CSV_NOT_READABLE,
        ),
        (
            "prose in a .txt",
            b"Dear Sir\nPlease find my receipt enclosed.\nYours\n",
            FileProblemCode.CSV_NOT_READABLE,
        ),
        ("a header alone", b"date,payee,amount\n", FileProblemCode.CSV_NOT_READABLE),
        ("Latin-1 text", "caf\xe9,1\n".encode("latin-1"), FileProblemCode.NOT_ACCEPTED_TYPE),
    ],
)
def test_the_type_comes_from_the_content(
    case: str, content: bytes, expected: str | FileProblemCode
) -> None:
    result = inspect_file(content, LIMIT)
    if isinstance(expected, FileProblemCode):
        assert isinstance(result, FileProblem), case
        assert result.code is expected, case
    else:
        assert result == expected, case


def test_refusals_use_gov_uk_wording() -> None:
    def message(content: bytes, limit: int = LIMIT) -> str:
        result = inspect_file(content, limit)
        assert isinstance(result, FileProblem)
        return result.message

    assert message(b"") == "The selected file is empty"
    assert message(b"MZ\x90\x00") == "The selected file must be a PDF, PNG, JPG or CSV"
    assert message(receipt_files.pdf(password="x")) == "The selected file is password protected"
    assert message(receipt_files.truncated(receipt_files.pdf())) == (
        "The selected file could not be read"
    )
    assert message(b"a" * (LIMIT + 1)) == "The selected file must be smaller than 10MB"


def test_a_file_of_exactly_the_limit_is_taken() -> None:
    content = b"a,b\n" * (1024 * 1024 // 4)
    assert inspect_file(content, len(content)) == "text/csv"
    refused = inspect_file(content, len(content) - 1)
    assert isinstance(refused, FileProblem)
    assert refused.code is FileProblemCode.TOO_LARGE


@pytest.mark.parametrize(
    ("client_name", "shown"),
    [
        ("receipt.pdf", "receipt.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\Desktop\\taxi.png", "taxi.png"),
        ("evil\x00name.pdf", "evilname.pdf"),
        ("line\nbreak\r.pdf", "linebreak.pdf"),
        ("right\u202eto-left.pdf", "rightto-left.pdf"),
        ("  spaced    out  .pdf ", "spaced out .pdf"),
        ("..", "receipt"),
        ("", "receipt"),
        (None, "receipt"),
        # Kept as text (escaped wherever shown); only what follows the last "/" is kept.
        ("<script>alert(1)</script>.pdf", "script>.pdf"),
    ],
)
def test_client_file_names_are_for_display_only(client_name: str | None, shown: str) -> None:
    assert display_name(client_name) == shown


def test_very_long_names_are_shortened_keeping_the_extension() -> None:
    name = display_name("a" * 5000 + ".pdf")
    assert len(name) == MAX_DISPLAY_NAME
    assert name.endswith("….pdf")
    assert len(display_name("b" * 5000)) == MAX_DISPLAY_NAME


def test_the_local_store_is_content_addressed(tmp_path: Path) -> None:
    store: EvidenceStore = LocalEvidenceStore(tmp_path)
    content = receipt_files.pdf()
    sha256 = store.put(content)
    assert sha256 == hashlib.sha256(content).hexdigest()
    assert store.put(content) == sha256  # stored once
    assert store.exists(sha256)
    assert store.read(sha256) == content
    assert (tmp_path / sha256[:2] / sha256).read_bytes() == content
    assert not store.exists("0" * 64)
    with pytest.raises(EvidenceNotFound):
        store.read("0" * 64)


@pytest.mark.parametrize("address", ["../../etc/passwd", "A" * 64, "0" * 63, ""])
def test_the_local_store_takes_only_sha256_addresses(tmp_path: Path, address: str) -> None:
    store = LocalEvidenceStore(tmp_path)
    with pytest.raises(ValueError):
        store.read(address)
