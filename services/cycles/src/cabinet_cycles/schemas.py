"""The cycles API's request and response bodies."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.identifiers import Slug
from cabinet_common.obligation_workflow import ReasonModel


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class DepartmentOut(DepartmentIn):
    department_id: str


class FormTypeVersionOut(BaseModel):
    form_type_id: str
    version: int
    definition: FormTypeDefinition


class FilerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    contact_email: EmailStr
    form_type_ids: list[Slug] = Field(min_length=1)


class FilerOut(FilerIn):
    filer_id: str


ImportOutcome = Literal["created", "updated", "unchanged"]


class ImportedRow(BaseModel):
    row: int = Field(description="As a spreadsheet numbers it: the header is row 1")
    filer_id: str
    outcome: ImportOutcome


class FilerImportReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rows: list[ImportedRow]


class HistoryOut(BaseModel):
    at: datetime
    status: str
    actor: str
    detail: str
    reasons: list[ReasonModel] = Field(
        default_factory=list,
        description="The change's coded reasons, e.g. POSSIBLE_DUPLICATE for a held version",
    )


class ObligationOut(BaseModel):
    obligation_id: str
    department_id: str
    form_type_id: str
    filer_id: str
    period_key: str
    period_start: date
    period_end: date
    due_date: date
    status: str
    submission_id: str | None
    workflow_id: str
    workflow_url: str
    acknowledgement_url: str | None
    history: list[HistoryOut]


class OpenedPeriodOut(BaseModel):
    """A period opened in the department, with a link to its quarter workflow."""

    form_type_id: str
    form_type_name: str = Field(description="As the form type version it was opened with names it")
    form_type_version: int
    period_key: str
    start: date
    end: date
    due: date
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = Field(description="When the quarter closed; null while open")
    quarter_workflow_id: str
    quarter_workflow_url: str


class StatusCount(BaseModel):
    status: str
    count: int


class StatusCountsOut(BaseModel):
    form_type_id: str | None
    period_key: str | None
    total: int
    counts: list[StatusCount] = Field(
        description="Every known status in lifecycle order (0 where none), then any other"
    )
