"""The audit trail over HTTP: a period's records so far, its audit pack, and the public key
that verifies the packs.

Once the period has closed (``seal_period``), the audit pack is the one sealed then, the
same bytes on every fetch. Before that, each fetch seals a snapshot of the chain so far,
marked ``"period_closed": false`` in its signed manifest.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from cabinet_common.auth.api import AUTHENTICATED, DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import STAFF
from cabinet_common.problems import Problem, responses
from cabinet_common.service import DbSession
from cabinet_common.signing import ALGORITHM, Signer, SigningKeyError, public_key_text
from cabinet_cycles.audit import store
from cabinet_cycles.audit.chain import AuditRecord, AuditScope
from cabinet_cycles.audit.pack import seal
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import OpenedPeriod

router = APIRouter(tags=["audit"])
_PERIOD_ANSWERS = responses({404: "No such period has been opened"})
PERIOD = "/departments/{department_id}/form-types/{form_type_id}/periods/{period_key}"


class SigningKeyOut(BaseModel):
    algorithm: str
    key_id: str
    public_key: str


async def _scope(
    session: DbSession, department_id: str, form_type_id: str, period_key: str
) -> AuditScope:
    if await session.get(OpenedPeriod, (department_id, form_type_id, period_key)) is None:
        raise Problem(404, "NO_SUCH_PERIOD", "No such period has been opened")
    return AuditScope(department_id=department_id, form_type_id=form_type_id, period_key=period_key)


def _signer(request: Request) -> Signer:
    settings: CyclesSettings = request.app.state.settings
    try:
        return settings.signer()
    except SigningKeyError as error:
        raise Problem(503, "SIGNING_KEY_MISSING", str(error)) from error


@router.get(
    PERIOD + "/audit",
    response_model=list[AuditRecord],
    dependencies=[DEPARTMENT_MEMBERS, allow(STAFF)],
    responses=_PERIOD_ANSWERS,
)
async def get_audit_records(
    department_id: str, form_type_id: str, period_key: str, session: DbSession
) -> list[AuditRecord]:
    """Every audit record of the period so far, in chain order."""
    scope = await _scope(session, department_id, form_type_id, period_key)
    return await store.records(session, scope)


@router.get(
    PERIOD + "/audit-pack",
    dependencies=[DEPARTMENT_MEMBERS, allow(STAFF)],
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}},
        **_PERIOD_ANSWERS,
        503: {"description": "No signing key is configured"},
    },
)
async def get_audit_pack(
    department_id: str, form_type_id: str, period_key: str, request: Request, session: DbSession
) -> Response:
    """The period's signed audit pack; check it with `cabinet-audit verify`."""
    scope = await _scope(session, department_id, form_type_id, period_key)
    document = await store.sealed_pack(session, scope)
    if document is None:
        records = await store.records(session, scope)
        pack = seal(scope, records, _signer(request), datetime.now(UTC), period_closed=False)
        document = pack.to_json()
    file_name = f"audit-{department_id}-{form_type_id}-{period_key}.json"
    return Response(
        document,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.get("/signing-key", response_model=SigningKeyOut, dependencies=[AUTHENTICATED])
async def get_signing_key(request: Request) -> SigningKeyOut:
    """The public key that verifies Cabinet's signatures."""
    signer = _signer(request)
    return SigningKeyOut(
        algorithm=ALGORITHM, key_id=signer.key_id, public_key=public_key_text(signer.public_key)
    )


class PublishedKeyOut(SigningKeyOut):
    current: bool


class PublishedKeysOut(BaseModel):
    keys: list[PublishedKeyOut]


@router.get("/signing-keys", response_model=PublishedKeysOut, dependencies=[AUTHENTICATED])
async def get_signing_keys(request: Request) -> PublishedKeysOut:
    """Every key Cabinet has signed with (earlier ones stay, so what they signed still
    verifies); a signature's key_id names its key. The current one signs from now on."""
    settings: CyclesSettings = request.app.state.settings
    current = _signer(request).key_id
    return PublishedKeysOut(
        keys=[
            PublishedKeyOut(
                algorithm=ALGORITHM,
                key_id=kid,
                public_key=public_key_text(key),
                current=kid == current,
            )
            for kid, key in sorted(settings.published_keys().items())
        ]
    )
