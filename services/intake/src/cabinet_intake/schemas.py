"""The intake API's request and response bodies."""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    amount_pence: int = Field(ge=0, description="Integer minor units; 12.34 GBP is 1234.")
    currency: str = Field(default="GBP", pattern=r"^[A-Z]{3}$")
    payee: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)


class SubmissionIn(BaseModel):
    """The `submission` form field (JSON); the i-th receipt line describes the i-th file."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str] = Field(default_factory=dict)
    declared_total_pence: int = Field(ge=0)
    receipts: list[ReceiptLineIn] = Field(default_factory=list)


class SubmissionAccepted(BaseModel):
    obligation_id: str
    submission_id: str
    version: int
    submission_sha256: str


class ReceiptOut(BaseModel):
    receipt_id: str
    file_sha256: str
    media_type: str
    size_bytes: int
    file_name: str
    date: dt.date
    amount_pence: int
    currency: str
    payee: str
    category: str


class VersionOut(BaseModel):
    version: int
    submission_sha256: str
    submitted_at: dt.datetime
    answers: dict[str, str]
    declared_total_pence: int
    receipts: list[ReceiptOut]


class SubmissionOut(BaseModel):
    submission_id: str
    obligation_id: str
    current_version: int
    versions: list[VersionOut]


class ObligationOut(BaseModel):
    obligation_id: str
    filer_id: str
    form_type_id: str
    period_key: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    submission_id: str | None
    current_version: int | None
    acknowledgement_reference: str | None
