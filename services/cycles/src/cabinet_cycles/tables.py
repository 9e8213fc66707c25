"""The cycles service's own tables: the register (departments, form types, filers), the
periods it opened, and a read model of each obligation built from the events."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet_common.database import Base, UtcDateTime


class Department(Base):
    __tablename__ = "departments"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class FormType(Base):
    __tablename__ = "form_types"

    department_id: Mapped[str] = mapped_column(
        ForeignKey("departments.department_id"), primary_key=True
    )
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    current_version: Mapped[int] = mapped_column(Integer)


class FormTypeVersion(Base):
    """Every published definition, kept for good: an opened period names its version."""

    __tablename__ = "form_type_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["department_id", "form_type_id"],
            ["form_types.department_id", "form_types.form_type_id"],
        ),
    )

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Filer(Base):
    __tablename__ = "filers"

    department_id: Mapped[str] = mapped_column(
        ForeignKey("departments.department_id"), primary_key=True
    )
    filer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    form_type_ids: Mapped[list[str]] = mapped_column(JSON)


class OpenedPeriod(Base):
    __tablename__ = "periods"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date)
    form_type_version: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When the quarter workflow closes the period by itself (an operator may close it sooner).
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Obligation(Base):
    """The read model of one obligation: written when it is opened, then kept current from
    the status changes its workflow publishes."""

    __tablename__ = "obligations"
    __table_args__ = (
        Index("ix_obligations_quarter", "department_id", "form_type_id", "period_key"),
    )

    obligation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(100))
    form_type_id: Mapped[str] = mapped_column(String(100))
    form_type_version: Mapped[int] = mapped_column(Integer)
    filer_id: Mapped[str] = mapped_column(String(100))
    period_key: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    # The obligation's Deadlines (reminders, overdue, escalation), as its workflow has them.
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_email: Mapped[str] = mapped_column(String(320))
    workflow_id: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Status changes arrive over Kafka, possibly out of order: the highest sequence wins.
    status_sequence: Mapped[int] = mapped_column(Integer, default=0)
    submission_id: Mapped[str | None] = mapped_column(String(64))
    history: Mapped[list["ObligationHistory"]] = relationship(
        order_by="ObligationHistory.sequence", lazy="selectin"
    )


class ObligationHistory(Base):
    __tablename__ = "obligation_history"
    __table_args__ = (UniqueConstraint("obligation_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    obligation_id: Mapped[str] = mapped_column(ForeignKey("obligations.obligation_id"))
    sequence: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(String(4000))
    # The coded reasons of the change ({code, message, field_id}), e.g. POSSIBLE_DUPLICATE
    # for a held version; null for rows written before they were kept.
    reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class QuarterClosure(Base):
    """A closed quarter's compliance figures, as published in QuarterClosed."""

    __tablename__ = "quarter_closures"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    obligations: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    waived: Mapped[int] = mapped_column(Integer)
    outstanding: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AcknowledgementDocument(Base):
    """Stored once, returned byte for byte on every fetch."""

    __tablename__ = "acknowledgements"

    obligation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)
