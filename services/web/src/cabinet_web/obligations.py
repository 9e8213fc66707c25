"""What the web pages share about an obligation: which statuses are settled, and
intake's view of it (its submission), which can lag cycles' by a moment."""

from typing import Any

from cabinet_common.obligation_workflow import SETTLED as _SETTLED
from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_web.backend import DepartmentApi, NotFound, segment

# Once in one of these, an obligation takes no further submission or decision.
SETTLED = frozenset(str(status) for status in _SETTLED)
# The rest, in lifecycle order.
UNSETTLED = tuple(str(status) for status in ObligationStatus if status not in _SETTLED)


async def intake_obligation(intake: DepartmentApi, obligation_id: str) -> dict[str, Any] | None:
    """Intake's view of the obligation (its submission); None while intake has not heard
    of it yet (it learns of obligations from an event that can lag)."""
    try:
        known: dict[str, Any] = await intake.get(f"/obligations/{segment(obligation_id)}")
    except NotFound:
        return None
    return known
