"""Anyone holding an acknowledgement can ask whether it is genuine and unaltered."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from cabinet_common.auth.api import AUTHENTICATED
from cabinet_common.problems import Problem
from cabinet_common.signing import SigningKeyError
from cabinet_cycles.acknowledgements import signed_json_of, verify_document
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
    responses={503: {"description": "No signing key is configured"}},
)
async def verify_acknowledgement(request: Request) -> VerificationOut:
    """Genuine: Cabinet signed it with its key and not one byte of it has changed."""
    settings: CyclesSettings = request.app.state.settings
    try:
        signer = settings.signer()
    except SigningKeyError as error:
        raise Problem(503, "SIGNING_KEY_MISSING", str(error)) from error
    body = await request.body()
    if len(body) > MAX_DOCUMENT_BYTES:
        raise Problem(413, "NOT_AN_ACKNOWLEDGEMENT", "That is not an acknowledgement")
    result = verify_document(signed_json_of(body), signer.public_key)
    reference = (result.document or {}).get("reference")
    return VerificationOut(
        genuine=result.genuine,
        reference=reference if isinstance(reference, str) else None,
        key_id=signer.key_id,
        problems=result.problems,
    )
