"""The first look at a receipt file, from its content alone (never its name or the
client's Content-Type): empty, too large, or which accepted type its first bytes claim.
Pure and dependency-free, so the web pages screen an upload with the same checks and
GOV.UK wording as intake; intake then opens every PDF and image in full (file_checks)."""

import csv
import io
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

PDF, PNG, JPEG, CSV = "application/pdf", "image/png", "image/jpeg", "text/csv"
ACCEPTED_MEDIA_TYPES = (PDF, PNG, JPEG, CSV)
# Intake's default limit for one file.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DISPLAY_NAME = 120
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_SIGNATURE = b"%PDF-"


class FileProblemCode(StrEnum):
    EMPTY = "FILE_EMPTY"
    TOO_LARGE = "FILE_TOO_LARGE"
    NOT_ACCEPTED_TYPE = "FILE_TYPE_NOT_ACCEPTED"
    CSV_NOT_READABLE = "FILE_CSV_NOT_READABLE"
    PASSWORD_PROTECTED = "FILE_PASSWORD_PROTECTED"
    UNREADABLE = "FILE_UNREADABLE"
    SUBMISSION_TOO_LARGE = "FILES_TOO_LARGE"
    # Intake's full check (file_checks): an image of more pixels than allowed (a
    # decompression bomb), a PDF of too many pages, or a file whose check ran out of time
    # or memory.
    TOO_MANY_PIXELS = "FILE_TOO_MANY_PIXELS"
    TOO_MANY_PAGES = "FILE_TOO_MANY_PAGES"
    TOO_COMPLEX = "FILE_TOO_COMPLEX"


@dataclass(frozen=True)
class FileProblem:
    code: FileProblemCode
    message: str


def megabytes(limit_bytes: int) -> str:
    return f"{limit_bytes // (1024 * 1024)}MB"


def screen_file(content: bytes, max_bytes: int) -> str | FileProblem:
    """The accepted media type the content claims to be, or why it is refused at once.
    A PDF, PNG or JPEG is only claimed here: it still has to open (intake checks that)."""
    if not content:
        return FileProblem(FileProblemCode.EMPTY, "The selected file is empty")
    if len(content) > max_bytes:
        return FileProblem(
            FileProblemCode.TOO_LARGE,
            f"The selected file must be smaller than {megabytes(max_bytes)}",
        )
    if content.startswith(_PDF_SIGNATURE):
        return PDF
    if content.startswith(_PNG_SIGNATURE):
        return PNG
    if content.startswith(_JPEG_SIGNATURE):
        return JPEG
    text = _text(content)
    if text is None:
        return FileProblem(
            FileProblemCode.NOT_ACCEPTED_TYPE, "The selected file must be a PDF, PNG, JPG or CSV"
        )
    if not is_readable_csv(text):
        return FileProblem(
            FileProblemCode.CSV_NOT_READABLE,
            "The selected CSV file must have a header row and a row for each receipt line, "
            "with the same columns (at least 2) in every row",
        )
    return CSV


def _text(content: bytes) -> str | None:
    """UTF-8 text (a BOM allowed) without control characters, or None."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(c) == "Cc" and c not in "\r\n\t" for c in text):
        return None
    return text


def is_readable_csv(text: str) -> bool:
    """Lines Cabinet can read: a header row and at least one more, every row with the
    same number of columns, at least 2. A web page or prose is text but not this."""
    if text.lstrip().startswith("<"):
        return False  # markup: an HTML or XML page
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if row]
    except csv.Error:
        return False
    widths = {len(row) for row in rows}
    return len(rows) >= 2 and len(widths) == 1 and widths.pop() >= 2


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
