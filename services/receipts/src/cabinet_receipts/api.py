"""Read the check results of a submission version."""

from fastapi import APIRouter, HTTPException, status
from google.protobuf.json_format import MessageToDict
from sqlalchemy import select

from cabinet.receipts.v1 import events_pb2
from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import STAFF
from cabinet_common.service import DbSession
from cabinet_receipts.tables import CheckRecord

router = APIRouter(
    prefix="/departments/{department_id}",
    tags=["checks"],
    dependencies=[DEPARTMENT_MEMBERS, allow(STAFF)],
)


@router.get("/submissions/{submission_id}/versions/{version}/checks")
async def get_checks(
    department_id: str, submission_id: str, version: int, session: DbSession
) -> dict[str, object]:
    record = await session.scalar(
        select(CheckRecord).where(
            CheckRecord.submission_id == submission_id,
            CheckRecord.version == version,
            CheckRecord.department_id == department_id,
        )
    )
    if record is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "No check result for that submission version"
        )
    return MessageToDict(events_pb2.ReceiptsChecked.FromString(record.result))
