"""The cycles service's own tables: the register (departments, form types, filers), the
periods it opened, and a read model of each obligation built from the events."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String
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
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    due_months_after_period_end: Mapped[int] = mapped_column(Integer)
    due_days_after: Mapped[int] = mapped_column(Integer)


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


class Obligation(Base):
    __tablename__ = "obligations"

    obligation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(100), index=True)
    form_type_id: Mapped[str] = mapped_column(String(100))
    filer_id: Mapped[str] = mapped_column(String(100))
    period_key: Mapped[str] = mapped_column(String(20), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    overdue_at: Mapped[datetime] = mapped_column(UtcDateTime())
    workflow_id: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20))
    # Events arrive on several topics, so out of order: a status only moves forward.
    status_version: Mapped[int] = mapped_column(Integer, default=0)
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    submission_id: Mapped[str | None] = mapped_column(String(64))
    history: Mapped[list["ObligationHistory"]] = relationship(
        order_by="ObligationHistory.id", lazy="selectin"
    )


class ObligationHistory(Base):
    __tablename__ = "obligation_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    obligation_id: Mapped[str] = mapped_column(ForeignKey("obligations.obligation_id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    event: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(String(2000))


class AcknowledgementDocument(Base):
    """Stored once, returned byte for byte on every fetch."""

    __tablename__ = "acknowledgements"

    obligation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)
