"""The receipts service's own tables."""

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
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
