"""Search attributes operators use in the Temporal UI. Business keys only, no personal data."""

from datetime import date, datetime, time

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from cabinet_common.deadlines import london_instant
from cabinet_common.obligation_workflow import ObligationInput, ObligationStatus

DEPARTMENT = SearchAttributeKey.for_keyword("CabinetDepartment")
FORM_TYPE = SearchAttributeKey.for_keyword("CabinetFormType")
PERIOD_KEY = SearchAttributeKey.for_keyword("CabinetPeriodKey")
OBLIGATION_STATUS = SearchAttributeKey.for_keyword("CabinetObligationStatus")
DUE_DATE = SearchAttributeKey.for_datetime("CabinetDueDate")

ALL: list[SearchAttributeKey] = [  # type: ignore[type-arg]
    DEPARTMENT,
    FORM_TYPE,
    PERIOD_KEY,
    OBLIGATION_STATUS,
    DUE_DATE,
]


def due_date_value(due: date) -> datetime:
    """CabinetDueDate: the last second of the due day in London, so the Temporal UI shows the
    day the filer must file by (not the moment after it, when the return becomes overdue)."""
    return london_instant(due, time(23, 59, 59))


def at_start(obligation: ObligationInput) -> TypedSearchAttributes:
    """What an obligation workflow is started with, so a new quarter is searchable in the
    Temporal UI at once (the workflow upserts the same values, and the status as it moves)."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(DEPARTMENT, obligation.key.department_id),
            SearchAttributePair(FORM_TYPE, obligation.key.form_type_id),
            SearchAttributePair(PERIOD_KEY, obligation.key.period_key),
            SearchAttributePair(DUE_DATE, due_date_value(obligation.deadlines.due_date)),
            SearchAttributePair(OBLIGATION_STATUS, ObligationStatus.OPEN.value),
        ]
    )
