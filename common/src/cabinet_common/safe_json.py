"""JSON and YAML from outside, refused when they are hostile rather than merely wrong:
nested deeper than MAX_DEPTH (which would end in a RecursionError somewhere later), or
holding NaN or Infinity (not JSON at all, and no answer could carry them back).

`loads` and `load_yaml` raise Unsafe for those (a ValueError); `StrictJson` is the ASGI
middleware every service API runs, which answers a JSON request body of that kind with a
422 problem document (NESTED_TOO_DEEP, NOT_FINITE) before any route sees it. A body that is
simply not valid JSON is left to the route, which says what is wrong with it."""

import json
import math
from typing import Any

import yaml
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cabinet_common.problems import Problem

MAX_DEPTH = 64


class Unsafe(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def problem(self) -> Problem:
        return Problem(422, self.code, self.detail)


def _too_deep() -> Unsafe:
    return Unsafe("NESTED_TOO_DEEP", f"The document is nested more than {MAX_DEPTH} levels deep")


def _not_finite(_: str = "") -> Unsafe:
    return Unsafe("NOT_FINITE", "NaN and Infinity are not numbers JSON can carry")


def _refuse_constant(name: str) -> Any:
    raise _not_finite(name)


def check(document: Any) -> Any:
    """The document, once it is known to be at most MAX_DEPTH deep and free of NaN and
    Infinity (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise _not_finite()
    return document


def loads(data: bytes | str) -> Any:
    """json.loads, refusing NaN, Infinity and deep nesting (Unsafe); other ValueErrors
    (not JSON at all) as json raises them."""
    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise _too_deep() from error
    return check(document)


def load_yaml(data: bytes | str) -> Any:
    """yaml.safe_load, refusing .nan, .inf and deep nesting (Unsafe)."""
    try:
        document = yaml.safe_load(data)
    except RecursionError as error:
        raise _too_deep() from error
    return check(document)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media_type = value.split(b";")[0].strip().lower()
            return bool(media_type == b"application/json" or media_type.endswith(b"+json"))
    return False


class StrictJson:
    """Reads a JSON request body (already bounded by BodyLimit, which must wrap this), and
    answers 422 if it is nested too deep or holds NaN or Infinity; otherwise hands the
    route the same bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: let the app find out.
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            loads(body)
        except Unsafe as error:
            await error.problem().response()(scope, receive, send)
            return
        except ValueError:
            pass  # not JSON at all: the route says so in its own words
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
