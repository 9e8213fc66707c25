"""The text of a receipt file: a PDF's text layer (pypdf), OCR of an image or of a page
that is only a scan (Tesseract, from Debian's tesseract-ocr and tesseract-ocr-eng, through
pytesseract), a CSV's lines as they are.

OCR reads a page as one block of text (`--psm 6`: the default layout analysis skips the
right-hand column of amounts on most receipts). A page that reads as nothing legible is
tried the other ways up (Tesseract's orientation detection first, then every quarter
turn), since a photo may be sideways or upside down. Legibility is judged by the words
Tesseract is confident of, never by "some text came back": pure noise reads as hundreds of
junk characters.

These run on untrusted files: call them through cabinet_common.bounded, never on an event
loop."""

import io
import warnings
from dataclasses import dataclass

import pytesseract
from PIL import Image, ImageOps
from pypdf import PdfReader

from cabinet_common.receipt_files import CSV, JPEG, PDF, PNG

# Pillow refuses images above this many pixels (a decompression bomb) instead of warning.
MAX_PIXELS = 40_000_000
# OCR reads an image at most this wide or high (larger costs time, not accuracy).
_MAX_SIDE = 2400
_MIN_WIDTH = 600
_CONFIDENT = 60.0
_LEGIBLE_WORDS = 4
_LEGIBLE_CONFIDENCE = 50.0
# Text the wrong way up reads at a mean confidence of 30-40; noise at 10-15, blank at 0.
_TEXT_LIKE_CONFIDENCE = 20.0
# Tesseract is stopped after this long on one pass (noise can take many seconds); the pass
# then counts as nothing legible.
_PASS_TIMEOUT_S = 8
# A PDF page with fewer letters and digits in its text layer than this is read as a scan.
_TEXT_LAYER_MIN_CHARACTERS = 10

TEXT_LAYER, OCR, CSV_TEXT = "text layer", "ocr", "csv"


class NotReadable(Exception):
    """The file cannot be read at all (not what it claims to be, too large, locked)."""


@dataclass(frozen=True)
class Page:
    text: str
    method: str
    # Mean confidence of the words read (0-100); 100 for a text layer or a CSV.
    confidence: float
    # Words of at least three letters or digits read with confidence (every such word of
    # a text layer or CSV).
    confident_words: int
    # Quarter turns, in degrees clockwise, the page needed to be read (OCR only).
    rotation: int = 0

    @property
    def legible(self) -> bool:
        return self.confident_words >= _LEGIBLE_WORDS and self.confidence >= _LEGIBLE_CONFIDENCE


def read_pages(content: bytes, media_type: str, max_pages: int = 50) -> list[Page]:
    """Each page's text (an image or a CSV is one page). NotReadable if it cannot be read."""
    if media_type == PDF:
        return _pdf_pages(content, max_pages)
    if media_type in (PNG, JPEG):
        return [ocr_image(_open_image(content))]
    if media_type == CSV:
        text = content.decode("utf-8-sig", errors="replace")
        return [Page(text, CSV_TEXT, 100.0, _words(text))]
    raise NotReadable(f"{media_type or 'this kind of file'} cannot be read")


def ocr_image(image: Image.Image) -> Page:
    prepared = _prepared(image)
    best = _ocr(prepared, 0)
    if best.legible or best.confidence < _TEXT_LIKE_CONFIDENCE:
        # Legible; or blank, or noise (nothing like text, whichever way up): turning it
        # would only spend seconds reading junk again.
        return best
    tried = {0}
    for rotation in [*_orientation(prepared), 180, 90, 270]:
        if rotation in tried:
            continue
        tried.add(rotation)
        page = _ocr(prepared, rotation)
        if page.legible:
            return page
        if page.confident_words > best.confident_words:
            best = page
    return best


def _pdf_pages(content: bytes, max_pages: int) -> list[Page]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise NotReadable("the PDF is password protected")
            pages = []
            for pdf_page in reader.pages[:max_pages]:
                text = pdf_page.extract_text() or ""
                if sum(c.isalnum() for c in text) >= _TEXT_LAYER_MIN_CHARACTERS:
                    pages.append(Page(text, TEXT_LAYER, 100.0, _words(text)))
                    continue
                scans = [item.image for item in pdf_page.images if item.image is not None]
                if scans:
                    largest = max(scans, key=lambda i: i.width * i.height)
                    pages.append(ocr_image(_checked_size(largest)))
                else:
                    pages.append(Page(text, TEXT_LAYER, 0.0, 0))
        except NotReadable:
            raise
        except Exception as error:  # pypdf on a hostile file can raise almost anything
            raise NotReadable(f"the PDF could not be read ({type(error).__name__})") from error
    return pages


def _open_image(content: bytes) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            image.load()
    except Exception as error:
        raise NotReadable(f"the image could not be opened ({type(error).__name__})") from error
    return image


def _checked_size(image: Image.Image) -> Image.Image:
    if image.width * image.height > MAX_PIXELS:
        raise NotReadable("the scanned page is too large to read")
    return image


def _prepared(image: Image.Image) -> Image.Image:
    """Upright as the camera said (EXIF), grey, and a size Tesseract reads well."""
    image = ImageOps.exif_transpose(image).convert("L")
    scale = min(1.0, _MAX_SIDE / max(image.size))
    if image.width < _MIN_WIDTH:
        scale = min(2.0, _MIN_WIDTH / image.width)
    if scale != 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def _orientation(image: Image.Image) -> list[int]:
    """The quarter turn clockwise Tesseract's orientation detection says the page needs,
    if it can tell (it cannot on a page with too few letters)."""
    try:
        osd = pytesseract.image_to_osd(image, config="--psm 0", output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:
        return []
    return [int(osd["rotate"]) % 360]


def _ocr(image: Image.Image, rotation: int) -> Page:
    turned = image.rotate(-rotation, expand=True, fillcolor=255) if rotation else image
    data = pytesseract.image_to_data(turned, config="--psm 6", output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences = []
    confident = 0
    for i, word in enumerate(data["text"]):
        word = word.strip()
        if not word:
            continue
        confidence = float(data["conf"][i])
        confidences.append(confidence)
        if confidence >= _CONFIDENT and sum(c.isalnum() for c in word) >= 3:
            confident += 1
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
    text = "\n".join(" ".join(words) for words in lines.values())
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return Page(text, OCR, round(mean, 1), confident, rotation)


def _words(text: str) -> int:
    return sum(1 for word in text.split() if sum(c.isalnum() for c in word) >= 3)
