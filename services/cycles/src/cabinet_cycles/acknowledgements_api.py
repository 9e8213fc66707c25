"""Anyone holding an acknowledgement can ask whether it is genuine and unaltered."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from cabinet_common.auth.api import AUTHENTICATED
from cabinet_common.problems import Problem, responses
from cabinet_cycles.acknowledgements import signature_key_id, signed_json_of, verify_published
from cabinet_cycles.settings import CyclesSettings

router = APIRouter(tags=["acknowledgements"], dependencies=[AUTHENTICATED])
MAX_DOCUMENT_BYTES = 1024 * 1024


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
            "content": {"application/json": {}, "application/pdf": {}},
            "description": "The acknowledgement exactly as fetched (JSON), or its PDF",
        }
    },
    responses=responses(
        {413: "Too large to be an acknowledgement", 503: "No signing key is configured"}
    ),
)
async def verify_acknowledgement(request: Request) -> VerificationOut:
    """Genuine: Cabinet signed it with one of the keys it has published (the one its
    signature names), and not one byte of it has changed."""
    settings: CyclesSettings = request.app.state.settings
    keys = settings.published_keys()
    if not keys:
        raise Problem(503, "SIGNING_KEY_MISSING", "No signing key is configured")
    body = await request.body()
    if len(body) > MAX_DOCUMENT_BYTES:
        raise Problem(413, "NOT_AN_ACKNOWLEDGEMENT", "That is not an acknowledgement")
    document = signed_json_of(body)
    result = verify_published(document, keys)
    reference = (result.document or {}).get("reference")
    return VerificationOut(
        genuine=result.genuine,
        reference=reference if isinstance(reference, str) else None,
        key_id=signature_key_id(document) or "",
        problems=result.problems,
    )
