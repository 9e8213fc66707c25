"""The department every register route works in."""

from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.problems import Problem
from cabinet_cycles.tables import Department


async def department_or_404(session: AsyncSession, department_id: str) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise Problem(404, "NO_SUCH_DEPARTMENT", "No such department")
    return department
