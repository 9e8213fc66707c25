"""Makes asgi-csrf's check of multipart/form-data posts (file uploads) work again.

asgi-csrf 0.11 builds python-multipart's FormParser with a `FileClass` argument that
python-multipart 0.0.26 removed (asgi-csrf issue #38, unfixed upstream), so every file
upload fails with a TypeError before the page sees it. Pinning the older python-multipart
would bring its CVEs back, so asgi-csrf is given a FormParser that takes the old call and
keeps the old rule: the csrftoken field must come before any file; a file first is
refused (FileBeforeToken). The one difference: the refusal comes at the end of that file
part rather than at its first byte. Remove this once asgi-csrf is fixed."""

import inspect
from typing import Any

import asgi_csrf
from python_multipart import FormParser


def _form_parser(
    content_type: str,
    on_field: Any,
    on_file: Any = None,
    boundary: bytes | str | None = None,
    **_old: Any,
) -> FormParser:
    def file_before_token(_file: Any) -> None:
        raise asgi_csrf.FileBeforeToken

    return FormParser(content_type, on_field, file_before_token, boundary=boundary)


def install() -> None:
    """Idempotent; does nothing where FormParser still takes FileClass."""
    if "FileClass" not in inspect.signature(FormParser.__init__).parameters:
        asgi_csrf.FormParser = _form_parser
