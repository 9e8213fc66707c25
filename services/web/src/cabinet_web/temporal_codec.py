"""The codec endpoint the Temporal Web UI decodes Cabinet's encrypted payloads through
(Temporal's remote codec protocol: POST <endpoint>/decode and /encode, a Payloads message as
protobuf JSON in and out; the UI adds the X-Namespace header, which is not needed here: one
set of keys serves the namespace). Signed-in operators only: the UI sends the operator's
session cookie when its codec setting "include cross-origin credentials" is on, and the
answer carries CORS headers for the UI's origin only (CABINET_TEMPORAL_UI_ORIGIN).

Any operator of any department can decode any payload of the namespace: the payloads do
not say which department they belong to (a department per namespace would separate them).
"""

from fastapi import APIRouter, Request, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from cabinet_common.problems import Problem
from cabinet_common.service import DbSession
from cabinet_common.temporal_codec import EncryptionCodec, PayloadDecryptionError
from cabinet_web.accounts import Role
from cabinet_web.sessions import SignInRequired, current_user

PREFIX = "/temporal-codec"
router = APIRouter(prefix=PREFIX)


def _cors(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None or origin != request.app.state.settings.temporal_ui_origin:
        return {}
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "content-type,x-namespace",
        "vary": "Origin",
    }


@router.options("/{action}")
@router.options("/{namespace}/{action}")
async def preflight(request: Request) -> Response:
    """Browsers ask before a cross-origin POST with JSON, without credentials."""
    return Response(status_code=204, headers=_cors(request))


@router.post("/{action}")
@router.post("/{namespace}/{action}")
async def codec(request: Request, action: str, session: DbSession) -> Response:
    headers = _cors(request)
    try:
        if action not in ("decode", "encode"):
            raise Problem(404, "NOT_FOUND", "The codec answers /decode and /encode only")
        try:
            user = await current_user(request, session)
        except SignInRequired:
            raise Problem(
                401, "UNAUTHORIZED", "Sign in as an operator to decode payloads"
            ) from None
        if user.role != Role.OPERATOR:
            raise Problem(403, "FORBIDDEN", "Only operators may decode Temporal payloads")
        codec: EncryptionCodec | None = request.app.state.temporal_codec
        if codec is None:
            raise Problem(503, "NO_PAYLOAD_KEY", "No Temporal payload key is configured")
        payloads = Payloads()
        try:
            json_format.Parse(await request.body(), payloads)
        except (json_format.ParseError, UnicodeDecodeError) as error:
            raise Problem(400, "INVALID_PAYLOADS", f"Not a Payloads message: {error}") from None
        try:
            if action == "decode":
                result = await codec.decode(list(payloads.payloads))
            else:
                result = await codec.encode(list(payloads.payloads))
        except PayloadDecryptionError as error:
            raise Problem(422, "UNKNOWN_PAYLOAD_KEY", str(error)) from None
    except Problem as problem:
        problem.headers.update(headers)
        return problem.response()
    body = json_format.MessageToJson(Payloads(payloads=result))
    return Response(body, media_type="application/json", headers=headers)
