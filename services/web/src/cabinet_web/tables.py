"""The web service's own tables: accounts, signed-in sessions and filers' drafts."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet_common.database import Base, UtcDateTime


class User(Base):
    __tablename__ = "web_users"

    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[str] = mapped_column(String(100), index=True)
    # Set for filers only: the filer they file for.
    filer_id: Mapped[str | None] = mapped_column(String(100))


class WebSession(Base):
    __tablename__ = "web_sessions"

    # SHA-256 of the cookie's value: a copy of this table signs nobody in.
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("web_users.user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Draft(Base):
    """A filer's return in progress: saved on every page so they can come back to it."""

    __tablename__ = "web_drafts"

    obligation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(100))
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Receipt ids of the returned version the filer keeps (a resubmission), else empty.
    keep_receipt_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set when the draft was keyed from a paper return: who keyed it.
    keyed_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    files: Mapped[list["DraftReceipt"]] = relationship(
        cascade="all, delete-orphan", order_by="DraftReceipt.position", lazy="selectin"
    )


class DraftReceipt(Base):
    """A receipt added to a draft: its file and its line, until the return is sent."""

    __tablename__ = "web_draft_receipts"

    receipt_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    obligation_id: Mapped[str] = mapped_column(
        ForeignKey("web_drafts.obligation_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    date: Mapped[str] = mapped_column(String(10))
    amount_pence: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    payee: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
