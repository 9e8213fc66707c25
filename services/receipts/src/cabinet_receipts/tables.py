"""The receipts service's own tables."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cabinet_common.database import Base, UtcDateTime


class FiledFile(Base):
    """Every receipt file's content hash, with the obligation that first filed it."""

    __tablename__ = "filed_files"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    obligation_id: Mapped[str] = mapped_column(String(64))
    first_filed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CheckRecord(Base):
    """The result published for one submission version, kept for the API and audit."""

    __tablename__ = "check_records"

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[str] = mapped_column(String(100), index=True)
    # The serialized ReceiptsChecked event.
    result: Mapped[bytes] = mapped_column(LargeBinary)


class FiledLine(Base):
    """Every receipt line checked, by what makes two receipts look alike: the payee (in a
    normal form), the amount in its own currency and the date. A later line that matches
    one filed by another obligation is flagged as a possible duplicate."""

    __tablename__ = "filed_lines"
    __table_args__ = (Index("ix_filed_lines_lookalike", "department_id", "payee_key", "date"),)

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    obligation_id: Mapped[str] = mapped_column(String(64))
    payee_key: Mapped[str] = mapped_column(String(200))
    date: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class ReceiptReadingRecord(Base):
    """What one receipt's document says, as read (kept whole for caseworkers, searchable
    per receipt). The same file read once is not read again for another receipt."""

    __tablename__ = "receipt_readings"

    department_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    # Each page: its text, how it was read, confidence, confident words, rotation.
    pages: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    # Why it could not be read (a broken file, a limit hit); empty when it was.
    problem: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PendingCheck(Base):
    """A submission whose receipts are being read: the FormSubmitted waits here (durably,
    so a restart loses nothing) until the reader has read every receipt, then it is
    checked and removed in one transaction with its ReceiptsChecked."""

    __tablename__ = "pending_checks"

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[str] = mapped_column(String(100))
    event_key: Mapped[str] = mapped_column(String(200))
    # The serialized FormSubmitted.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
