"""What a receipt file really is, decided from its content: never from its name or the
client's Content-Type header. Only PDF, PNG, JPEG and CSV are taken, and each must open:
a PDF is parsed (pypdf), must not need a password and may have at most MAX_PDF_PAGES
pages, an image is decoded in full (Pillow) and may have at most MAX_IMAGE_PIXELS pixels
(Pillow's decompression-bomb warning is an error), a CSV must be UTF-8 text that the csv
module reads.

The API runs `inspect_file` in a bounded worker pool (cabinet_common.bounded): a child
process with memory, CPU and time limits, so a hostile file never blocks the event loop;
only a small file the first look settles (`settled_at_first_look`) is decided in-process.

Each refusal carries a stable code and GOV.UK's wording for the file upload component."""

import io
import logging
import warnings

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
    "settled_at_first_look",
]

# pypdf logs (rather than raises) what it repairs; a refused file needs no log line.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# An image may have at most this many pixels (a 40-megapixel photo of a receipt is far
# more than enough); more is refused before it is decoded.
MAX_IMAGE_PIXELS = 40_000_000
MAX_PDF_PAGES = 1_000
SETTLED_AT_FIRST_LOOK_MAX_BYTES = 64 * 1024


def _too_many_pixels() -> FileProblem:
    return FileProblem(
        FileProblemCode.TOO_MANY_PIXELS,
        f"The selected image must have at most {MAX_IMAGE_PIXELS // 1_000_000} million pixels",
    )


def too_complex() -> FileProblem:
    """The check of a file ran out of time, CPU or memory."""
    return FileProblem(
        FileProblemCode.TOO_COMPLEX,
        "The selected file is too complex to check: send a simpler or smaller copy",
    )


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


def settled_at_first_look(content: bytes, max_bytes: int) -> str | FileProblem | None:
    """What inspect_file says, when the first look alone decides it for a small file (a
    CSV, or refused at once): that look is a linear read, microseconds at this size, where
    a child process costs milliseconds. None when the file has to be opened (a PDF or an
    image) or is too large to look at in the service's own process."""
    if len(content) > SETTLED_AT_FIRST_LOOK_MAX_BYTES:
        return None
    claimed = screen_file(content, max_bytes)
    return None if claimed in (PDF, PNG, JPEG) else claimed


def _unreadable() -> FileProblem:
    return FileProblem(FileProblemCode.UNREADABLE, "The selected file could not be read")


def _check_pdf(content: bytes) -> str | FileProblem:
    # Imported here: only the file-check children open files (their forkserver preloads
    # pypdf and Pillow), and the service's own process is spared their memory.
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError
    from pypdf.generic import DictionaryObject

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
            # The page tree's own count first: a 40,000-page file is refused without
            # walking its pages (a file that lies about it runs into the time limit).
            tree = reader.root_object["/Pages"].get_object()
            declared = tree.get("/Count", 0) if isinstance(tree, DictionaryObject) else 0
            if int(declared) > MAX_PDF_PAGES:
                return _too_many_pages()
            pages = len(reader.pages)
            if pages < 1:
                return _unreadable()
            if pages > MAX_PDF_PAGES:
                return _too_many_pages()
    except FileNotDecryptedError:
        return FileProblem(
            FileProblemCode.PASSWORD_PROTECTED, "The selected file is password protected"
        )
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return _unreadable()
    except Exception:  # pypdf on hostile input can raise almost anything
        return _unreadable()
    return PDF


def _too_many_pages() -> FileProblem:
    return FileProblem(
        FileProblemCode.TOO_MANY_PAGES,
        f"The selected PDF must have at most {MAX_PDF_PAGES:,} pages",
    )


def _check_image(content: bytes, expected_format: str, media_type: str) -> str | FileProblem:
    from PIL import Image, UnidentifiedImageError  # as in _check_pdf

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Over MAX_IMAGE_PIXELS Pillow warns, over twice that it raises: both refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected_format:
                    return _unreadable()
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return _too_many_pixels()
                image.load()  # decodes every pixel: a truncated image fails here
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return _too_many_pixels()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return _unreadable()
    return media_type
