"""The cycles API's request and response bodies."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class DepartmentOut(DepartmentIn):
    department_id: str


class FormTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    due_months_after_period_end: int = Field(default=1, ge=0, le=12)
    due_days_after: int = Field(default=7, ge=0, le=366)


class FormTypeOut(FormTypeIn):
    form_type_id: str
    version: int


class FilerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    contact_email: EmailStr
    form_type_ids: list[str] = Field(min_length=1)


class FilerOut(FilerIn):
    filer_id: str


class OpenPeriodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period_key: str = Field(examples=["2026-Q3"])


class PeriodOut(BaseModel):
    period_key: str
    start: date
    end: date
    due: date
    form_type_version: int
    obligations_opened: int = Field(description="Obligations opened by this call; 0 when repeated")


class HistoryOut(BaseModel):
    at: datetime
    event: str
    detail: str


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
