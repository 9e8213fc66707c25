"""The web service's own tables: accounts, signed-in sessions and filers' drafts."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
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
    # Wrong passwords since the last sign-in, and the end of a lock after too many.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    __tablename__ = "web_sessions"

    # SHA-256 of the cookie's value: a copy of this table signs nobody in.
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("web_users.user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Draft(Base):
    """A return in progress, saved on every page so it can be finished later: the filer's
    own (channel "online"), or one a caseworker keys in from paper (channel "paper"),
    at most one of each per obligation."""

    __tablename__ = "web_drafts"
    __table_args__ = (UniqueConstraint("obligation_id", "channel"),)

    draft_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    obligation_id: Mapped[str] = mapped_column(String(64), index=True)
    department_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    filer_id: Mapped[str] = mapped_column(String(100))
    filer_name: Mapped[str] = mapped_column(String(200))
    form_type_id: Mapped[str] = mapped_column(String(100))
    form_type_version: Mapped[int] = mapped_column(Integer)
    # The returned version this draft corrects (None: the first submission).
    based_on_version: Mapped[int | None] = mapped_column(Integer)
    # The answers as typed, by field id (the declaration's is "yes" once ticked).
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Receipt ids of the returned version carried into the next one (a correction).
    keep_receipt_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set when the draft was keyed from a paper return: the caseworker keying it.
    keyed_by: Mapped[str | None] = mapped_column(String(100))
    # Sent with every attempt to send this draft, so a retry can never file it twice.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    # What intake refused on the last attempt to send, for the pages to show:
    # [{"field_id": ..., "receipt_id": ..., "message": ...}].
    send_problems: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    files: Mapped[list["DraftReceipt"]] = relationship(
        cascade="all, delete-orphan", order_by="DraftReceipt.position", lazy="selectin"
    )


class DraftReceipt(Base):
    """A receipt added to a draft: its file and its line, until the return is sent. A
    pending one holds a file chosen with a line that still needs correcting."""

    __tablename__ = "web_draft_receipts"

    receipt_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    draft_id: Mapped[str] = mapped_column(
        ForeignKey("web_drafts.draft_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    # Read only when the file is sent or shown, not with every page's draft.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    date: Mapped[str] = mapped_column(String(10), default="")
    amount_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    payee: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(100), default="")


class FilerClient(Base):
    """Filing software of a filer organisation: OAuth2 client credentials that get tokens
    scoped to that one filer (as Making Tax Digital's vendors do)."""

    __tablename__ = "web_filer_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of a 256-bit random secret: too long to guess, so a slow hash adds nothing.
    secret_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[str] = mapped_column(String(100))
    filer_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SignInThrottle(Base):
    """Wrong passwords for one account from one client (its address), and the end of
    that pair's lock: a stranger locks out only their own attempts, never the owner's."""

    __tablename__ = "web_sign_in_throttles"

    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
