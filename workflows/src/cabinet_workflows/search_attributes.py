"""Search attributes operators use in the Temporal UI. Business keys only, no personal data."""

from temporalio.common import SearchAttributeKey

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
