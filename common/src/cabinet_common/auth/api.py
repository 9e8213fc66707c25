"""The FastAPI side of authentication: who is calling (401 without a trusted token), in
which department (404 for another department's records, as if they did not exist), and
whether their role may do this (403).

    router = APIRouter(prefix="/departments/{department_id}", dependencies=[DEPARTMENT_MEMBERS])

    @router.post("/queue", dependencies=[allow(STAFF)])
    async def queue(principal: CurrentPrincipal, ...): ...
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import InvalidToken, TokenVerifier
from cabinet_common.identifiers import Slug
from cabinet_common.problems import Problem, answers

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CabinetToken",
    description="A Cabinet token (JWT, EdDSA): from the web service for its signed-in "
    "users, from /oauth/token for filer software, or minted by a machine identity.",
)


def install_token_verifier(app: FastAPI, trusted_keys_dir: Path | None) -> None:
    """Without a directory of trusted keys, the service trusts no token: every call is 401."""
    app.state.token_verifier = (
        TokenVerifier.from_directory(trusted_keys_dir) if trusted_keys_dir else TokenVerifier({})
    )


def _unauthorised(detail: str, error: str | None = None) -> Problem:
    challenge = 'Bearer realm="cabinet"' + (f', error="{error}"' if error else "")
    return Problem(401, "UNAUTHORIZED", detail, headers={"WWW-Authenticate": challenge})


UNAUTHORISED_ANSWER = {
    401: {
        "description": "No bearer token, or one that is not valid (expired, for another "
        "audience, signed by a key this service does not trust)",
        "headers": {
            "WWW-Authenticate": {
                "description": 'The challenge: Bearer realm="cabinet", with error="invalid_token" '
                "for a token that is not valid",
                "schema": {"type": "string"},
            }
        },
    }
}


@answers(UNAUTHORISED_ANSWER)
async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorised("Send a bearer token (Authorization: Bearer ...)")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = verifier.verify(credentials.credentials)
    except InvalidToken as error:
        raise _unauthorised(f"The bearer token is not valid: {error}", "invalid_token") from error
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


@answers(
    {
        404: {
            "description": "Not found: no such record in this department (a caller "
            "of another department is told so of every record)"
        }
    }
)
async def _department_member(department_id: Slug, principal: CurrentPrincipal) -> Principal:
    if not principal.in_department(department_id):
        raise Problem(404, "NO_SUCH_DEPARTMENT", "No such department")
    return principal


# For routers under /departments/{department_id}: another department's caller gets 404.
# The id is declared here in its one format: FastAPI publishes this declaration, not a
# route's own, so a route stricter than this one was documented looser than it is (found
# by make fuzz on PUT /departments/{department_id}). Every route now publishes the
# pattern, and an id no department can have is a 422 WRONG_FORMAT everywhere.
DEPARTMENT_MEMBERS: Any = Depends(_department_member)
# For routes outside any department: any caller with a trusted token.
AUTHENTICATED: Any = Depends(_principal)


def allow(roles: frozenset[Role]) -> Any:
    """A route dependency: only these roles (and machine identities) through, else 403."""

    @answers({403: {"description": "The caller's role may not do this"}})
    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(roles):
            raise Problem(403, "FORBIDDEN", f"A {principal.role} may not do this")
        return principal

    return Depends(check)


def ensure_sees_filer(principal: Principal, filer_id: str, code: str, detail: str) -> None:
    """A filer asking for another filer's record is told it does not exist."""
    if not principal.sees_filer(filer_id):
        raise Problem(404, code, detail)
