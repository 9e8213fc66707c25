"""What a receipt file really is, decided from its content: never from its name or the
client's Content-Type header. Only PDF, PNG, JPEG and CSV are taken, and each must open:
a PDF is parsed (pypdf) and must not need a password, an image is decoded in full
(Pillow), a CSV must be UTF-8 text that the csv module reads.

Each refusal carries a stable code and GOV.UK's wording for the file upload component."""

import csv
import io
import logging
import unicodedata
import warnings
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

# pypdf logs (rather than raises) what it repairs; a refused file needs no log line.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF, PNG, JPEG, CSV = "application/pdf", "image/png", "image/jpeg", "text/csv"
ACCEPTED_MEDIA_TYPES = (PDF, PNG, JPEG, CSV)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_SIGNATURE = b"%PDF-"
# A PDF ends with %%EOF, give or take trailing whitespace; a cut-off file does not.
_PDF_TAIL_BYTES = 1024
MAX_DISPLAY_NAME = 120


class FileProblemCode(StrEnum):
    EMPTY = "FILE_EMPTY"
    TOO_LARGE = "FILE_TOO_LARGE"
    NOT_ACCEPTED_TYPE = "FILE_TYPE_NOT_ACCEPTED"
    PASSWORD_PROTECTED = "FILE_PASSWORD_PROTECTED"
    UNREADABLE = "FILE_UNREADABLE"
    SUBMISSION_TOO_LARGE = "FILES_TOO_LARGE"


@dataclass(frozen=True)
class FileProblem:
    code: FileProblemCode
    message: str


def megabytes(limit_bytes: int) -> str:
    return f"{limit_bytes // (1024 * 1024)}MB"


def inspect_file(content: bytes, max_bytes: int) -> str | FileProblem:
    """The media type of an acceptable receipt file, or why it is refused."""
    if not content:
        return FileProblem(FileProblemCode.EMPTY, "The selected file is empty")
    if len(content) > max_bytes:
        return FileProblem(
            FileProblemCode.TOO_LARGE,
            f"The selected file must be smaller than {megabytes(max_bytes)}",
        )
    if content.startswith(_PDF_SIGNATURE):
        return _check_pdf(content)
    if content.startswith(_PNG_SIGNATURE):
        return _check_image(content, "PNG", PNG)
    if content.startswith(_JPEG_SIGNATURE):
        return _check_image(content, "JPEG", JPEG)
    if _is_csv(content):
        return CSV
    return FileProblem(
        FileProblemCode.NOT_ACCEPTED_TYPE, "The selected file must be a PDF, PNG, JPG or CSV"
    )


def _unreadable() -> FileProblem:
    return FileProblem(FileProblemCode.UNREADABLE, "The selected file could not be read")


def _check_pdf(content: bytes) -> str | FileProblem:
    if b"%%EOF" not in content[-_PDF_TAIL_BYTES:]:
        return _unreadable()  # truncated: the end of the file is missing
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(content), strict=False)
            # An owner password alone (empty user password) still opens: that is fine.
            if reader.is_encrypted and not reader.decrypt(""):
                return FileProblem(
                    FileProblemCode.PASSWORD_PROTECTED, "The selected file is password protected"
                )
            if len(reader.pages) < 1:
                return _unreadable()
    except FileNotDecryptedError:
        return FileProblem(
            FileProblemCode.PASSWORD_PROTECTED, "The selected file is password protected"
        )
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return _unreadable()
    except Exception:  # pypdf on hostile input can raise almost anything
        return _unreadable()
    return PDF


def _check_image(content: bytes, expected_format: str, media_type: str) -> str | FileProblem:
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected_format:
                return _unreadable()
            image.load()  # decodes every pixel: a truncated image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return _unreadable()
    return media_type


def _is_csv(content: bytes) -> bool:
    """UTF-8 text (a BOM allowed) without control characters, that the csv module reads
    into at least one row with the same number of columns in every row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(c) == "Cc" and c not in "\r\n\t" for c in text):
        return False
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if row]
    except csv.Error:
        return False
    return bool(rows) and len({len(row) for row in rows}) == 1


def display_name(client_name: str | None) -> str:
    """The client's file name for display only: the last path part, control and format
    characters removed, whitespace collapsed, at most MAX_DISPLAY_NAME characters.
    It is never used to build a path (files are stored by their SHA-256)."""
    name = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] not in ("C", "Z") or c == " ")
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_DISPLAY_NAME - len(extension) - 2] + "…." + extension
        else:
            name = name[: MAX_DISPLAY_NAME - 1] + "…"
    return name or "receipt"


def inline_disposition(name: str) -> str:
    """Content-Disposition for showing a file inline under its display name. A quoted
    header value can hold only printable ASCII, and not quotes or backslashes unescaped:
    those become "_", and a name that changed is also given whole in filename* (RFC 6266)."""
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
    header = f'inline; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
