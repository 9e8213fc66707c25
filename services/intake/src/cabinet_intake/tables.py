"""Intake's own tables: the obligations it has heard of, the submissions it took, and the
returns of those submissions it has heard of."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet_common.database import Base, UtcDateTime


class KnownObligation(Base):
    """Copied from ObligationOpened: what intake needs to accept a submission."""

    __tablename__ = "known_obligations"

    obligation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(100), index=True)
    form_type_id: Mapped[str] = mapped_column(String(100))
    filer_id: Mapped[str] = mapped_column(String(100))
    period_key: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    # The form type version the period was opened with (0: not known, from older events).
    form_type_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set from AcknowledgementIssued: an accepted obligation takes no new version.
    acknowledgement_reference: Mapped[str | None] = mapped_column(String(12))
    # Set from ObligationStatusChanged: "waived" or "closed" (its period closed without an
    # accepted return); such an obligation takes no submission.
    settled_status: Mapped[str | None] = mapped_column(String(20))


class Submission(Base):
    __tablename__ = "submissions"

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    obligation_id: Mapped[str] = mapped_column(
        ForeignKey("known_obligations.obligation_id"), unique=True
    )
    department_id: Mapped[str] = mapped_column(String(100), index=True)
    current_version: Mapped[int] = mapped_column(Integer)
    versions: Mapped[list["SubmissionVersion"]] = relationship(
        order_by="SubmissionVersion.version", lazy="selectin"
    )


class SubmissionVersion(Base):
    __tablename__ = "submission_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "version"),
        UniqueConstraint("obligation_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.submission_id"))
    obligation_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the version's content (answers, lines, file hashes): what is acknowledged.
    submission_sha256: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the request that made it (the lines and files sent, the receipts kept and
    # dropped): the same key with a different request is refused.
    request_sha256: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    declared_total_pence: Mapped[int] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "online", or "paper" for a return keyed in by a caseworker (keyed_by) from paper.
    channel: Mapped[str] = mapped_column(String(10), default="online", server_default="online")
    keyed_by: Mapped[str | None] = mapped_column(String(100))
    receipts: Mapped[list["StoredReceipt"]] = relationship(
        order_by="StoredReceipt.position", lazy="selectin"
    )


class StoredReceipt(Base):
    """One receipt of one version. A receipt kept by a resubmission appears again under the
    new version with the same receipt id, file and line."""

    __tablename__ = "receipts"

    submission_version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_versions.id"), primary_key=True
    )
    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    date: Mapped[date] = mapped_column(Date)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payee: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))


class SubmissionReturn(Base):
    """Copied from SubmissionReturned: a version sent back to the filer, with the reasons
    about the whole version and each receipt returned. A version may be returned more than
    once (by the checks, then by a caseworker): one row per return."""

    __tablename__ = "submission_returns"
    __table_args__ = (Index("ix_submission_returns_version", "submission_id", "version"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(64))
    obligation_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    returned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # [{"code": "TOTAL_MISMATCH", "message": ..., "field_id": "box3" | None}, ...]
    reasons: Mapped[list[dict[str, str | None]]] = mapped_column(JSON)
    receipts: Mapped[list["ReturnedReceipt"]] = relationship(lazy="selectin")


class ReturnedReceipt(Base):
    __tablename__ = "returned_receipts"

    return_event_id: Mapped[str] = mapped_column(
        ForeignKey("submission_returns.event_id"), primary_key=True
    )
    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reasons: Mapped[list[dict[str, str | None]]] = mapped_column(JSON)


class CheckedReceipt(Base):
    """Copied from ReceiptsChecked, for a receipt with something for a caseworker: its
    flags (possible duplicate, amount not on the receipt, ...) and the reading of its
    document, shown beside its typed line. Kept per version."""

    __tablename__ = "checked_receipts"

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # [{"code": "AMOUNT_NOT_ON_RECEIPT", "message": ..., "field_id": None}, ...]
    flags: Mapped[list[dict[str, str | None]]] = mapped_column(JSON)
    # cabinet.receipts.v1.ReceiptReading as JSON (snake_case field names), or None.
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
