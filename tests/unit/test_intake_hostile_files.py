"""Hostile receipt files: a decompression bomb, a PDF of thousands of pages, and a file
whose check runs out of its limits are each refused with a 422 naming the file; the
checks run in child processes (cabinet_common.bounded), never on the event loop."""

import io
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter

from cabinet_common.receipt_files import FileProblem, FileProblemCode
from cabinet_intake.file_checks import (
    MAX_IMAGE_PIXELS,
    MAX_PDF_PAGES,
    SETTLED_AT_FIRST_LOOK_MAX_BYTES,
    inspect_file,
    settled_at_first_look,
)
from tests import receipt_files
from tests.unit.intake_support import line, running_intake

LIMIT = 10 * 1024 * 1024


def bomb() -> bytes:
    """A PNG of a few kilobytes with more pixels than allowed (7000 x 7000, one bit each)."""
    side = int(MAX_IMAGE_PIXELS**0.5) + 700
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")
    return out.getvalue()


def many_pages() -> bytes:
    writer = PdfWriter()
    for _ in range(MAX_PDF_PAGES + 1):
        writer.add_blank_page(width=10, height=10)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    content = bomb()
    assert len(content) < 100_000
    result = inspect_file(content, LIMIT)
    assert isinstance(result, FileProblem)
    assert result.code == FileProblemCode.TOO_MANY_PIXELS
    assert result.message == "The selected image must have at most 40 million pixels"


def test_a_pdf_of_too_many_pages_is_refused() -> None:
    result = inspect_file(many_pages(), LIMIT)
    assert isinstance(result, FileProblem)
    assert result.code == FileProblemCode.TOO_MANY_PAGES


async def test_intake_refuses_a_bomb_naming_the_file(tmp_path: Path) -> None:
    async with running_intake(tmp_path) as intake:
        answer = await intake.submit(
            [line("2026-08-01", 1000), line("2026-08-02", 500)],
            files=[receipt_files.pdf(), bomb()],
            file_names=["fine.pdf", "huge.png"],
        )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "FILE_TOO_MANY_PIXELS"
    [item] = problem["errors"]
    assert item["file"] == 2
    assert item["file_name"] == "huge.png"
    assert "huge.png" in item["detail"]


async def test_a_check_that_runs_out_of_time_is_refused_as_too_complex(tmp_path: Path) -> None:
    # No time at all: every check is ended (as a 40,000-page PDF's would be after 10 s).
    async with running_intake(tmp_path, file_check_timeout_s=0) as intake:
        answer = await intake.submit(
            [line("2026-08-01", 1000)], files=[receipt_files.pdf()], file_names=["slow.pdf"]
        )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "FILE_TOO_COMPLEX"
    assert problem["errors"][0]["file_name"] == "slow.pdf"


def test_a_small_csv_or_a_file_refused_at_once_is_settled_without_a_child_process() -> None:
    csv = receipt_files.csv_file()
    assert settled_at_first_look(csv, LIMIT) == inspect_file(csv, LIMIT) == "text/csv"
    empty = settled_at_first_look(b"", LIMIT)
    assert isinstance(empty, FileProblem)
    assert empty.code == FileProblemCode.EMPTY
    prose = settled_at_first_look(b"just some words", LIMIT)
    assert isinstance(prose, FileProblem)
    assert prose.code == FileProblemCode.CSV_NOT_READABLE


def test_pdfs_images_and_large_files_are_left_to_the_bounded_check() -> None:
    assert settled_at_first_look(receipt_files.pdf(), LIMIT) is None
    assert settled_at_first_look(receipt_files.png(), LIMIT) is None
    header, row = b"date,amount\n", b"2026-08-01,10.00\n"
    large = header + row * (SETTLED_AT_FIRST_LOOK_MAX_BYTES // len(row) + 1)
    assert inspect_file(large, LIMIT) == "text/csv"
    assert settled_at_first_look(large, LIMIT) is None


async def test_a_csv_is_taken_even_when_every_bounded_check_would_time_out(
    tmp_path: Path,
) -> None:
    async with running_intake(tmp_path, file_check_timeout_s=0) as intake:
        answer = await intake.submit(
            [line("2026-08-01", 1000)], files=[receipt_files.csv_file()], file_names=["r.csv"]
        )
    assert answer.status_code == 202, answer.text
