"""asgi-csrf checks file-upload forms again with today's python-multipart: the token must
come before any file."""

from typing import Any

import asgi_csrf
import pytest

from cabinet_web import multipart_csrf

BOUNDARY = "boundary123"


def body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, file_name, value in parts:
        disposition = f'form-data; name="{name}"'
        if file_name is not None:
            disposition += f'; filename="{file_name}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def parse(data: bytes) -> tuple[Any, bytes]:
    multipart_csrf.install()
    messages = [{"type": "http.request", "body": data, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    token, replay = await asgi_csrf._parse_multipart_form_data(BOUNDARY.encode(), receive)
    replayed = await replay()
    return token, replayed["body"]


async def test_the_token_first_is_found_and_the_body_replayed() -> None:
    data = body(("csrftoken", None, b"tok"), ("file", "a.pdf", b"%PDF-"), ("payee", None, b"x"))
    token, replayed = await parse(data)
    assert token == "tok"
    assert replayed == data


async def test_a_file_before_the_token_is_refused() -> None:
    data = body(("file", "a.pdf", b"%PDF-"), ("csrftoken", None, b"tok"))
    with pytest.raises(asgi_csrf.FileBeforeToken):
        await parse(data)


async def test_no_token_at_all() -> None:
    token, _ = await parse(body(("payee", None, b"x")))
    assert token is None
