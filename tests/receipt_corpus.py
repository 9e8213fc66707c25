"""A labelled set of receipts made on the spot, to measure how well Cabinet reads them:
photos drawn with Pillow in the machine's fonts (several sizes, slightly turned, some
upside down, blurred, noisy, JPEG-compressed), thermal-till layouts with several amounts
where only the total is the claim, text PDFs (fpdf2) and scanned-style PDFs (a photo in a
PDF). Each knows the line a filer would type; a mismatched one has a wrong amount typed.

Seeded: the same seed makes the same receipts."""

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from cabinet_common.receipt_files import JPEG, PDF, PNG

FONT_DIRS = [Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts")]
FONT_NAMES = [
    "DejaVuSans.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansCondensed.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationMono-Regular.ttf",
    "LiberationSerif-Regular.ttf",
]
MONO = ["DejaVuSansMono.ttf", "LiberationMono-Regular.ttf"]
PAYEES = [
    ("Stationers Ltd", "Stationers"),
    ("Northern Rail Ltd", "Northern Rail"),
    ("Harbour Cafe & Co", "Harbour Cafe"),
    ("Birchwood Hotels PLC", "Birchwood Hotels"),
    ("Quick Cabs Limited", "Quick Cabs"),
    ("Office Depot UK Ltd", "Office Depot"),
    ("Green Grocers LLP", "Green Grocers"),
    ("City Parking Services", "City Parking"),
    ("The Bookshop Ltd", "The Bookshop"),
    ("Mercer Print Ltd", "Mercer Print"),
]
ITEMS = [
    "Pens",
    "Paper A4",
    "Coffee",
    "Sandwich",
    "Ticket",
    "Parking",
    "Toner",
    "Envelopes",
    "Stapler",
    "Folders",
    "Tea",
    "Room",
    "Breakfast",
    "Taxi fare",
    "Notebook",
]
DATE_STYLES = ["%d/%m/%Y", "{day} %b %Y", "%d-%m-%y", "{day} %B %Y", "%d.%m.%Y", "%d/%m/%y"]
KINDS = ["photo", "till", "text-pdf", "scan-pdf"]


@dataclass(frozen=True)
class Sample:
    name: str
    kind: str
    content: bytes
    media_type: str
    date: date
    payee: str  # as a filer would type it
    printed_payee: str
    total_pence: int  # what the receipt is for
    typed_pence: int  # what the filer typed (the total, unless mismatched)
    genuine: bool


def fonts() -> list[Path]:
    found: dict[str, Path] = {}
    for directory in FONT_DIRS:
        if directory.is_dir():
            for path in directory.rglob("*.ttf"):
                found.setdefault(path.name, path)
    return [found[name] for name in FONT_NAMES if name in found]


def make_corpus(count: int, seed: int = 2026, mismatched_share: float = 0.2) -> list[Sample]:
    rng = random.Random(seed)
    available = fonts()
    return [_sample(rng, i, available, rng.random() < mismatched_share) for i in range(count)]


def make_receipt(kind: str, day: date, seed: int = 1, mismatched: bool = False) -> Sample:
    """One receipt of a kind ("photo", "till", "text-pdf", "scan-pdf") dated `day`."""
    return _sample(random.Random(seed), KINDS.index(kind), fonts(), mismatched, day)


def _sample(
    rng: random.Random,
    number: int,
    available: list[Path],
    mismatched: bool,
    day: date | None = None,
) -> Sample:
    kind = KINDS[number % len(KINDS)]
    printed_payee, typed_payee = rng.choice(PAYEES)
    if rng.random() < 0.3:
        typed_payee = printed_payee
    picked_day = date(2026, 7, 1) + timedelta(days=rng.randrange(150))
    day = day or picked_day
    items = [(rng.choice(ITEMS), rng.randrange(99, 9999)) for _ in range(rng.randint(1, 5))]
    subtotal = sum(p for _, p in items)
    vat = round(subtotal * 0.2)
    total = subtotal + vat
    lines = _layout(rng, printed_payee, day, items, subtotal, vat, total, till=kind == "till")
    printed = {p for _, p in items} | {subtotal, vat, total}
    typed = total
    if mismatched:
        typed = rng.choice([total * 10, total + rng.randrange(100, 5000), max(1, total // 10)])
        while typed in printed:
            typed += 137
    if kind == "text-pdf":
        content, media_type = _text_pdf(lines), PDF
    else:
        faces = [f for f in available if f.name in MONO] if kind == "till" else available
        font = rng.choice(faces or available) if available else None
        image = _draw(rng, lines, font)
        if kind == "scan-pdf":
            content, media_type = _scan_pdf(rng, image), PDF
        else:
            content, media_type = _photo(rng, image)
    return Sample(
        name=f"{number:04d}-{kind}{'-mismatched' if mismatched else ''}",
        kind=kind,
        content=content,
        media_type=media_type,
        date=day,
        payee=typed_payee,
        printed_payee=printed_payee,
        total_pence=total,
        typed_pence=typed,
        genuine=not mismatched,
    )


def _money(pence: int, symbol: str = "") -> str:
    return f"{symbol}{pence // 100:,}.{pence % 100:02d}"


def _layout(
    rng: random.Random,
    payee: str,
    day: date,
    items: list[tuple[str, int]],
    subtotal: int,
    vat: int,
    total: int,
    till: bool,
) -> list[tuple[str, str]]:
    """(left, right) text pairs, top to bottom."""
    style = rng.choice(DATE_STYLES)
    printed_date = day.strftime(style.replace("{day}", str(day.day)))
    width = 32 if till else 40
    lines = [
        (payee.upper() if till or rng.random() < 0.5 else payee, ""),
        (
            rng.choice(
                ["12 High Street, Leeds", "4 Station Road, York", "Unit 7, Mill Lane, Hull"]
            ),
            "",
        ),
        (f"VAT No. GB {rng.randrange(100, 999)} {rng.randrange(1000, 9999)} 21", ""),
        ("", ""),
        (f"Date: {printed_date}", f"{rng.randrange(7, 20):02d}:{rng.randrange(60):02d}"),
        ("", ""),
    ]
    for name, pence in items:
        quantity = rng.randint(1, 3) if till else 1
        label = f"{name} x{quantity}" if quantity > 1 else name
        lines.append((label, _money(pence)))
    lines += [
        ("", ""),
        ("Subtotal", _money(subtotal)),
        ("VAT 20%", _money(vat)),
        ("TOTAL" if till else "Total", _money(total, "£")),
    ]
    if till:
        tendered = total + rng.choice([0, 0, 500, 1000, 2000]) - total % 100
        tendered = max(tendered, total)
        lines += [("CARD" if tendered == total else "CASH", _money(tendered))]
        if tendered > total:
            lines.append(("CHANGE", _money(tendered - total)))
    lines += [("", ""), ("Thank you for your custom", "")]
    return [(left[:width], right) for left, right in lines]


def _draw(rng: random.Random, lines: list[tuple[str, str]], font_path: Path | None) -> Image.Image:
    size = rng.randint(20, 30)
    font = ImageFont.truetype(str(font_path), size) if font_path else ImageFont.load_default(size)
    line_height = int(size * 1.4)
    width = int(size * 22)
    image = Image.new("L", (width + 2 * size, line_height * (len(lines) + 2)), 250)
    draw = ImageDraw.Draw(image)
    for row, (left, right) in enumerate(lines, start=1):
        y = row * line_height
        draw.text((size, y), left, font=font, fill=rng.randint(0, 60))
        if right:
            right_width = draw.textlength(right, font=font)
            draw.text((size + width - right_width, y), right, font=font, fill=rng.randint(0, 60))
    return image


def _photo(rng: random.Random, image: Image.Image) -> tuple[bytes, str]:
    image = _camera(rng, image)
    if rng.random() < 0.1:
        image = image.rotate(180)
    out = io.BytesIO()
    if rng.random() < 0.3:
        image.save(out, format="PNG")
        return out.getvalue(), PNG
    image.convert("RGB").save(out, format="JPEG", quality=rng.randint(45, 90))
    return out.getvalue(), JPEG


def _camera(rng: random.Random, image: Image.Image) -> Image.Image:
    """A slight turn, blur and sensor noise, as a phone photo of a receipt has."""
    image = image.rotate(rng.uniform(-2.5, 2.5), expand=True, fillcolor=245)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.0)))
    noise = _noise(rng, image.size).filter(ImageFilter.GaussianBlur(0.5))
    return Image.blend(image, noise, rng.uniform(0.0, 0.15))


def _scan_pdf(rng: random.Random, image: Image.Image) -> bytes:
    image = _camera(rng, image).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150.0, quality=rng.randint(50, 85))
    return out.getvalue()


def _text_pdf(lines: list[tuple[str, str]]) -> bytes:
    pdf = FPDF(format=(148, 210))  # A5
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for left, right in lines:
        pdf.cell(80, 6, left)
        pdf.cell(30, 6, right, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Sensor noise from the seeded generator (Pillow's own noise is not seeded)."""
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def noise_image(seed: int, size: tuple[int, int] = (360, 480)) -> bytes:
    """Pure noise: nothing legible, whatever OCR returns."""
    out = io.BytesIO()
    _noise(random.Random(seed), size).save(out, format="PNG")
    return out.getvalue()


def blank_image(size: tuple[int, int] = (400, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 250).save(out, format="PNG")
    return out.getvalue()


def pages_pdf(pdfs: list[bytes]) -> bytes:
    """One PDF of the pages of several: a paper return's receipts scanned as one file."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for content in pdfs:
        for page in PdfReader(io.BytesIO(content)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
