"""The web pages' only way to Cabinet's records: the intake and cycles HTTP APIs, always
under the signed-in user's own department, with a short-lived token that names the user."""

import copy
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, Request

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import TokenMinter
from cabinet_common.service import CLIENT_KEEP_ALIVE_SECONDS
from cabinet_web.sessions import CurrentUser, SignedIn

# Each page's calls carry a token minted for them; it outlives no page by much.
TOKEN_SECONDS = 120


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

    def __init__(
        self, client: httpx.AsyncClient, department_id: str, headers: dict[str, str]
    ) -> None:
        self._client = client
        self._prefix = f"/departments/{quote(department_id, safe='')}"
        self._headers = headers

    def _url(self, path: str) -> str:
        return self._prefix + path

    async def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        response = await self._client.get(self._url(path), params=query, headers=self._headers)
        _raise_for(response)
        return response.json()

    async def get_bytes(self, path: str) -> httpx.Response:
        response = await self._client.get(self._url(path), headers=self._headers)
        _raise_for(response)
        return response

    async def post(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None, **request: Any
    ) -> Any:
        response = await self._client.post(
            self._url(path), json=json, headers=self._headers | (headers or {}), **request
        )
        _raise_for(response)
        return response.json() if response.content else None


def segment(value: str) -> str:
    """An id from a URL, safe to put in a backend path."""
    return quote(value, safe="")


def _client(base_url: str, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """A client of one service. It gives up an idle connection long before the service
    would close it (cabinet_common.service: a request crossing the server's close gets
    no answer, which a page would show as a 503)."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(30.0, connect=5.0),
        limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS),
        transport=transport,
    )


class Backend:
    def __init__(
        self,
        intake_url: str,
        cycles_url: str,
        receipts_url: str = "http://127.0.0.1:8002",
        transport: httpx.AsyncBaseTransport | None = None,  # tests: a fake intake and cycles
        minter: TokenMinter | None = None,
    ) -> None:
        self.minter = minter
        self._principal: Principal | None = None
        self._intake = _client(intake_url, transport)
        self._cycles = _client(cycles_url, transport)
        self._receipts = _client(receipts_url, transport)

    def acting_for(self, user: CurrentUser) -> "Backend":
        """The same clients, calling as this signed-in user."""
        view = copy.copy(self)
        view._principal = Principal(
            subject=user.user_id,
            role=Role(user.role.value),
            department_id=user.department_id,
            filer_id=user.filer_id,
        )
        return view

    def _auth(self) -> dict[str, str]:
        if self.minter is None or self._principal is None:
            return {}
        return {"Authorization": f"Bearer {self.minter.mint(self._principal, TOKEN_SECONDS)}"}

    def intake(self, department_id: str) -> DepartmentApi:
        return DepartmentApi(self._intake, department_id, self._auth())

    def cycles(self, department_id: str) -> DepartmentApi:
        return DepartmentApi(self._cycles, department_id, self._auth())

    def receipts(self, department_id: str) -> DepartmentApi:
        return DepartmentApi(self._receipts, department_id, self._auth())

    async def close(self) -> None:
        await self._intake.aclose()
        await self._cycles.aclose()
        await self._receipts.aclose()


def _backend(request: Request, user: SignedIn) -> Backend:
    backend: Backend = request.app.state.backend
    return backend.acting_for(user)


Apis = Annotated[Backend, Depends(_backend)]
