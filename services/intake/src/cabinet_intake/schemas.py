"""The intake API's request and response bodies."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from cabinet_common.receipt_reading import ReadingOut

# How a return arrived: sent by the filer, or keyed in by a caseworker from paper.
Channel = Literal["online", "paper"]

# The most pence one amount may be (£10 billion): far from int64's limit even summed over
# every line a submission can hold, which events and databases store.
MAX_PENCE = 10**12


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    amount_pence: int = Field(
        ge=0, le=MAX_PENCE, description="Integer minor units; 12.34 GBP is 1234."
    )
    currency: str = Field(default="GBP", pattern=r"^[A-Z]{3}$")
    payee: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)


class SubmissionIn(BaseModel):
    """The `submission` form field (JSON); the i-th receipt line describes the i-th file.

    A resubmission may keep receipts of the latest version instead of sending them again:
    with `keep_receipt_ids` (or `drop_receipt_ids`) the new version is the kept receipts
    plus the lines and files sent, and every receipt of the latest version that was not
    returned must be named in one list or the other. Without either list, the receipts
    sent are the whole new set, as for a first submission.

    A return that arrived on paper is keyed in by a caseworker on the filer's behalf, with
    scans of its receipts as the files: `channel` is "paper", and the caseworker the bearer
    token names is recorded as `keyed_by`. An online submission names no one."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str] = Field(default_factory=dict)
    declared_total_pence: int = Field(ge=0, le=MAX_PENCE)
    receipts: list[ReceiptLineIn] = Field(default_factory=list)
    keep_receipt_ids: list[str] | None = Field(
        default=None,
        description="Receipts of the latest version carried into this one unchanged (same "
        "receipt id, file and line). A returned receipt cannot be kept.",
    )
    drop_receipt_ids: list[str] | None = Field(
        default=None,
        description="Receipts of the latest version that were not returned and are left out "
        "of this one on purpose.",
    )
    channel: Channel = Field(
        default="online",
        description='"online" when the filer sends it; "paper" when a caseworker keys in a '
        "return that arrived on paper (its receipt files are the scans).",
    )
    # The caseworker who keyed in a paper return: the token's subject, never the body's.
    _keyed_by: str | None = PrivateAttr(default=None)

    @property
    def keyed_by(self) -> str | None:
        return self._keyed_by

    def keyed_in_by(self, caseworker: str | None) -> None:
        self._keyed_by = caseworker

    @property
    def targeted(self) -> bool:
        """Whether this builds on the latest version (keeps or drops its receipts by id)."""
        return self.keep_receipt_ids is not None or self.drop_receipt_ids is not None


class SubmissionAccepted(BaseModel):
    obligation_id: str
    submission_id: str
    version: int
    submission_sha256: str
    # Every receipt of the version, in order: the kept ones first, then the ones sent.
    receipt_ids: list[str] = Field(default_factory=list)


class ReasonOut(BaseModel):
    code: str = Field(description="Like DATE_OUTSIDE_PERIOD")
    message: str
    field_id: str | None = None


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    # Whether a return of this version (the one it is listed under) sent this receipt back.
    returned: bool = False
    return_reasons: list[ReasonOut] = Field(default_factory=list)
    # What the receipts check flagged for a caseworker, and its document's reading.
    flags: list[ReasonOut] = Field(default_factory=list)
    reading: ReadingOut | None = None


class VersionOut(BaseModel):
    version: int
    submission_sha256: str
    submitted_at: dt.datetime
    answers: dict[str, str]
    declared_total_pence: int
    receipts: list[ReceiptOut]
    # "paper" when a caseworker keyed it in from a paper return (keyed_by names them).
    channel: Channel = "online"
    keyed_by: str | None = None
    # Whether this version was returned; when last; the reasons about the whole version
    # (totals, the form's rules, a caseworker's). Each receipt says if it was returned.
    returned: bool = False
    returned_at: dt.datetime | None = None
    return_reasons: list[ReasonOut] = Field(default_factory=list)


class SubmissionOut(BaseModel):
    submission_id: str
    obligation_id: str
    current_version: int
    versions: list[VersionOut]


class FieldChange(BaseModel):
    """An answer (or `declared_total_pence`) that differs: None where it was not given."""

    field: str
    before: str | int | None
    after: str | int | None


class SubmissionDiff(BaseModel):
    """What changed from one version to another. Removed receipts say whether (and why)
    they had been returned in the `from` version; kept and added ones, in the `to` one."""

    submission_id: str
    from_version: int
    to_version: int
    changed: list[FieldChange]
    kept: list[ReceiptOut]
    removed: list[ReceiptOut]
    added: list[ReceiptOut]


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
    settled_status: Literal["waived", "closed"] | None = Field(
        default=None,
        description='"waived" or "closed" (its period closed without an accepted return) once '
        "it takes no submission: one is then refused with a 409",
    )
