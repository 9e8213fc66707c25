"""The web pages' only way to Cabinet's records: the intake and cycles HTTP APIs, always
under the signed-in user's own department."""

from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, Request


class NotFound(Exception):
    """The record does not exist in this department (or at all): the page answers 404."""


class Refused(Exception):
    """The API refused the request (4xx) with a problem document: `detail` is its
    message, `code` its stable code, `errors` each thing wrong."""

    def __init__(self, status_code: int, body: Any) -> None:
        problem: dict[str, Any] = body if isinstance(body, dict) else {"detail": str(body)}
        detail = str(problem.get("detail", ""))
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.code = str(problem.get("code", ""))
        self.errors: list[dict[str, Any]] = list(problem.get("errors", []))


def _raise_for(response: httpx.Response) -> None:
    if response.status_code == 404:
        raise NotFound(response.text)
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        raise Refused(response.status_code, body)
    response.raise_for_status()


class DepartmentApi:
    """One service's API (intake or cycles) under /departments/{department_id}."""

    def __init__(self, client: httpx.AsyncClient, department_id: str) -> None:
        self._client = client
        self._prefix = f"/departments/{quote(department_id, safe='')}"

    def _url(self, path: str) -> str:
        return self._prefix + path

    async def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        response = await self._client.get(self._url(path), params=query)
        _raise_for(response)
        return response.json()

    async def get_bytes(self, path: str) -> httpx.Response:
        response = await self._client.get(self._url(path))
        _raise_for(response)
        return response

    async def post(self, path: str, json: Any = None, **request: Any) -> Any:
        response = await self._client.post(self._url(path), json=json, **request)
        _raise_for(response)
        return response.json() if response.content else None


def segment(value: str) -> str:
    """An id from a URL, safe to put in a backend path."""
    return quote(value, safe="")


class Backend:
    def __init__(
        self,
        intake_url: str,
        cycles_url: str,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: a fake intake and cycles
    ) -> None:
        timeout = httpx.Timeout(30.0, connect=5.0)
        self._intake = httpx.AsyncClient(base_url=intake_url, timeout=timeout, transport=transport)
        self._cycles = httpx.AsyncClient(base_url=cycles_url, timeout=timeout, transport=transport)

    def intake(self, department_id: str) -> DepartmentApi:
        return DepartmentApi(self._intake, department_id)

    def cycles(self, department_id: str) -> DepartmentApi:
        return DepartmentApi(self._cycles, department_id)

    async def close(self) -> None:
        await self._intake.aclose()
        await self._cycles.aclose()


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


Apis = Annotated[Backend, Depends(_backend)]
