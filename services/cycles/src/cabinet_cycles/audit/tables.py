"""Where the audit chains live: one row per chain (the row appenders lock), its records,
and the pack sealed when the period closed."""

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cabinet_common.database import Base, UtcDateTime


class AuditChain(Base):
    __tablename__ = "audit_chains"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))


class AuditRecordRow(Base):
    __tablename__ = "audit_records"
    __table_args__ = (UniqueConstraint("department_id", "form_type_id", "period_key", "event_id"),)

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The whole record (canonical JSON); the columns beside it are for lookups.
    document: Mapped[str] = mapped_column(Text)


class SealedAuditPack(Base):
    """Stored once when the period closes, returned byte for byte on every fetch."""

    __tablename__ = "audit_packs"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    form_type_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    document: Mapped[bytes] = mapped_column(LargeBinary)
