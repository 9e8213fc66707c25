"""The department every register route works in."""

from fastapi import HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_cycles.tables import Department


async def department_or_404(session: AsyncSession, department_id: str) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such department")
    return department
