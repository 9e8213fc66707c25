"""When intake or cycles cannot answer (down, restarting, or failing), a page says so
with a 503 instead of failing with a 500. The app's handler does this for every page
(cabinet_web.app); this wrapper is what the pages written before it still use."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import HTTPException, status

UNAVAILABLE = "Sorry, the service is unavailable. Try again in a few minutes."


@contextmanager
def unavailable_as_503() -> Iterator[None]:
    try:
        yield
    except httpx.HTTPError as error:  # a transport error, or a 5xx from the API
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE) from error
