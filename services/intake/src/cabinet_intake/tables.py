"""Intake's own tables: the obligations it has heard of, and the submissions it took."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
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
    submission_sha256: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    declared_total_pence: Mapped[int] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    receipts: Mapped[list["StoredReceipt"]] = relationship(
        order_by="StoredReceipt.position", lazy="selectin"
    )


class StoredReceipt(Base):
    __tablename__ = "receipts"

    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"))
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


class KnownFormType(Base):
    """Copied from FormTypePublished: every version of every form type's definition, so a
    submission's answers are checked against the version its obligation was opened with."""

    __tablename__ = "known_form_types"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, object]] = mapped_column(JSON)
