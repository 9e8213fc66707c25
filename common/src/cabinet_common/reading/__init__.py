"""Reading receipts: the text of a stored file (extract) and what it says (parse).

`read_receipt` is what a bounded worker runs on one file; everything else here is cheap
and pure, for the receipts check and the pages that pre-fill a line from a receipt."""

from dataclasses import dataclass, field

from cabinet_common.reading.extract import NotReadable, Page, read_pages
from cabinet_common.reading.parse import (
    FoundAmount,
    FoundDate,
    claimed_amount,
    confusable,
    find_amounts,
    find_dates,
    find_payee,
)

__all__ = [
    "FoundAmount",
    "FoundDate",
    "Page",
    "Reading",
    "claimed_amount",
    "confusable",
    "find_amounts",
    "find_dates",
    "find_payee",
    "read_receipt",
]

PAGE_BREAK = "\n\n"


@dataclass(frozen=True)
class Reading:
    pages: tuple[Page, ...] = ()
    # Why nothing could be read at all (a broken file, a timeout); empty when pages were.
    problem: str = ""
    seconds: float = 0.0
    method: str = field(init=False)

    def __post_init__(self) -> None:
        methods = sorted({page.method for page in self.pages})
        object.__setattr__(self, "method", "+".join(methods) or "none")

    @property
    def text(self) -> str:
        return PAGE_BREAK.join(page.text for page in self.pages)

    @property
    def confidence(self) -> float:
        """The mean word confidence of the pages that had words (0-100)."""
        read = [page.confidence for page in self.pages if page.text.strip()]
        return round(sum(read) / len(read), 1) if read else 0.0

    @property
    def confident_words(self) -> int:
        return sum(page.confident_words for page in self.pages)

    @property
    def rotation(self) -> int:
        return next((page.rotation for page in self.pages if page.rotation), 0)


def read_receipt(content: bytes, media_type: str) -> Reading:
    """The file's pages as text; a Reading with a problem (and no pages) if it cannot be
    read. Run it in a bounded worker (cabinet_common.bounded): the file is untrusted."""
    try:
        return Reading(tuple(read_pages(content, media_type)))
    except NotReadable as error:
        return Reading(problem=str(error))
