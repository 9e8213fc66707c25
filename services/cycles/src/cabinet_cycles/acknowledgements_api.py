"""Anyone holding an acknowledgement can ask whether it is genuine and unaltered."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from cabinet_common import safe_json
from cabinet_common.auth.api import AUTHENTICATED
from cabinet_common.problems import Problem, responses
from cabinet_cycles.acknowledgements import signature_key_id, signed_json_of, verify_published
from cabinet_cycles.settings import CyclesSettings

router = APIRouter(tags=["acknowledgements"], dependencies=[AUTHENTICATED])
MAX_DOCUMENT_BYTES = 1024 * 1024
# Pydantic's words for a missing value, as FastAPI's own 422 says them.
_MISSING = "Field required"


class VerificationOut(BaseModel):
    genuine: bool
    reference: str | None
    key_id: str
    problems: list[str]


@router.post(
    "/acknowledgements/verify",
    response_model=VerificationOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {},
                "application/pdf": {
                    "schema": {"type": "string", "format": "binary", "minLength": 1}
                },
            },
            "description": "The acknowledgement exactly as fetched (JSON), or its PDF",
        }
    },
    responses=responses(
        {
            413: "Too large to be an acknowledgement",
            422: "No body was sent (REQUIRED)",
            503: "No signing key is configured",
        }
    ),
)
async def verify_acknowledgement(request: Request) -> VerificationOut:
    """Genuine: Cabinet signed it with one of the keys it has published (the one its
    signature names), and not one byte of it has changed."""
    body = await request.body()
    if not body:
        # The body is read here, not declared, so FastAPI cannot see it is missing: the
        # same 422 it gives a route whose declared body is missing.
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": _MISSING}])
    if len(body) > MAX_DOCUMENT_BYTES:
        raise Problem(413, "NOT_AN_ACKNOWLEDGEMENT", "That is not an acknowledgement")
    settings: CyclesSettings = request.app.state.settings
    keys = settings.published_keys()
    if not keys:
        raise Problem(503, "SIGNING_KEY_MISSING", "No signing key is configured")
    # A PDF is parsed in a thread: a hostile one must not hold up the event loop.
    document = await asyncio.to_thread(signed_json_of, body)
    try:
        # The JSON body was checked on its way in; one attached to a PDF is checked here.
        safe_json.loads(document)
    except safe_json.Unsafe as error:
        raise error.problem() from error
    except ValueError:
        pass  # not JSON: verification says why it is not genuine
    result = verify_published(document, keys)
    reference = (result.document or {}).get("reference")
    return VerificationOut(
        genuine=result.genuine,
        reference=reference if isinstance(reference, str) else None,
        key_id=signature_key_id(document) or "",
        problems=result.problems,
    )
