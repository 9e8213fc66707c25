"""Receipt files made on the spot for tests: real PDFs, PNGs, JPEGs and CSVs, and the
broken and disguised ones intake must refuse."""

import io
import uuid

from PIL import Image
from pypdf import PdfWriter


def pdf(label: str = "", password: str | None = None) -> bytes:
    """A one-page PDF whose bytes no other call makes (its title carries a fresh UUID)."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": f"receipt {label} {uuid.uuid4()}"})
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(kind: str = "PNG", colour: tuple[int, int, int] | None = None) -> bytes:
    seed = uuid.uuid4().bytes
    fill = colour or (seed[0], seed[1], seed[2])
    out = io.BytesIO()
    Image.new("RGB", (32, 32), fill).save(out, format=kind)
    return out.getvalue()


def png() -> bytes:
    return image("PNG")


def jpeg() -> bytes:
    return image("JPEG")


def csv_file() -> bytes:
    return f"date,payee,amount\n2026-08-01,Stationers Ltd,12.50\n{uuid.uuid4()},x,1\n".encode()


def truncated(content: bytes) -> bytes:
    return content[: len(content) * 2 // 3]
