"""A request body limit enforced while the body is read, not after.

`BodyLimit(app, max_bytes)` wraps any ASGI app. A request whose Content-Length is over the
limit is answered 413 at once, before the app runs; a body sent without one (chunked) is
counted as it arrives from `receive`, and the moment the count passes the limit the
request is cut off and answered 413, so no service ever holds more than `max_bytes` of one
request in memory. The answer is a problem document, code BODY_TOO_LARGE.

Each service's limit is its `max_request_bytes` setting (CABINET_MAX_REQUEST_BYTES)."""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cabinet_common.problems import Problem

CODE = "BODY_TOO_LARGE"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes the limit. An HTTPException, so FastAPI's
    body parsing passes it on (anything else it turns into a 400) and the problem handler
    answers it with its own code."""

    code = CODE

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, detail=_detail(max_bytes))
        self.max_bytes = max_bytes


def _detail(max_bytes: int) -> str:
    return f"A request body may be at most {max_bytes:,} bytes"


def _problem(max_bytes: int) -> Problem:
    return Problem(413, CODE, _detail(max_bytes))


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _problem(self.max_bytes).response()(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # The app let it through (one that reads the body itself, such as the CSRF
            # check of the web pages): answer here, unless it had already begun answering.
            if started:
                raise
            await _problem(self.max_bytes).response()(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
