"""What a receipt file really is, decided from its content: never from its name or the
client's Content-Type header. Only PDF, PNG, JPEG and CSV are taken, and each must open:
a PDF is parsed (pypdf) and must not need a password, an image is decoded in full
(Pillow), a CSV must be UTF-8 text that the csv module reads.

Each refusal carries a stable code and GOV.UK's wording for the file upload component."""

import io
import logging
import warnings

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

from cabinet_common.receipt_files import (
    ACCEPTED_MEDIA_TYPES,
    JPEG,
    MAX_DISPLAY_NAME,
    PDF,
    PNG,
    FileProblem,
    FileProblemCode,
    display_name,
    inline_disposition,
    megabytes,
    screen_file,
)

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "MAX_DISPLAY_NAME",
    "FileProblem",
    "FileProblemCode",
    "display_name",
    "inline_disposition",
    "inspect_file",
    "megabytes",
]

# pypdf logs (rather than raises) what it repairs; a refused file needs no log line.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# A PDF ends with %%EOF, give or take trailing whitespace; a cut-off file does not.
_PDF_TAIL_BYTES = 1024


def inspect_file(content: bytes, max_bytes: int) -> str | FileProblem:
    """The media type of an acceptable receipt file, or why it is refused: the first look
    (cabinet_common.receipt_files, shared with the web pages), then a PDF or image opened."""
    claimed = screen_file(content, max_bytes)
    if claimed == PDF:
        return _check_pdf(content)
    if claimed == PNG:
        return _check_image(content, "PNG", PNG)
    if claimed == JPEG:
        return _check_image(content, "JPEG", JPEG)
    return claimed


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
