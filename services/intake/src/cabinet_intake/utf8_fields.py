"""Form fields must be UTF-8. Starlette reads a multipart field that is not as Latin-1
without a word, so a submission's JSON would be taken with its text garbled; this route
class refuses such a request with a 400 problem before the route reads its form."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from cabinet_common.problems import Problem, ProblemItem


class _FieldReader:
    """python-multipart callbacks noting each part's disposition and, for a field, its
    bytes; a field that is not UTF-8 is named in `wrong`."""

    def __init__(self) -> None:
        self.wrong: list[str] = []
        self._header = b""
        self._disposition = b""
        self._data = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_name,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._disposition, self._data = b"", bytearray()

    def _header_name(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition += data[start:end]

    def _header_end(self) -> None:
        self._header = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._data.extend(data[start:end])

    def _end(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"filename" in options:
            return
        try:
            self._data.decode("utf-8")
        except UnicodeDecodeError:
            self.wrong.append(options.get(b"name", b"").decode("utf-8", "replace"))


def fields_not_utf8(content_type: str, body: bytes) -> list[str]:
    """The names of the form fields (parts without a file name) that are not UTF-8."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return []  # Starlette refuses it itself
    reader = _FieldReader()
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    parser.write(body)
    parser.finalize()
    return reader.wrong


class Utf8FormRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strict(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if content_type.lower().startswith("multipart/form-data"):
                # Read once here; Starlette's form parsing then reads the same bytes.
                try:
                    wrong = fields_not_utf8(content_type, await request.body())
                except FormParserError as error:
                    # Not multipart at all (a header of bytes that are not ASCII, say).
                    raise Problem(
                        400, "MALFORMED_FORM", "The body is not a well-formed multipart form"
                    ) from error
                if wrong:
                    raise Problem(
                        400,
                        "NOT_UTF8",
                        "Form fields must be UTF-8 text",
                        [
                            ProblemItem(
                                code="NOT_UTF8", field=name, detail=f"{name} is not UTF-8 text"
                            )
                            for name in wrong
                        ],
                    )
            return await handle(request)

        return strict
