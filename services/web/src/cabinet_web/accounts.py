"""Local accounts: who may sign in, with which role, for which department."""

import asyncio
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_web.tables import User, WebSession


class Role(StrEnum):
    FILER = "filer"
    CASEWORKER = "caseworker"
    OPERATOR = "operator"
    ADMIN = "admin"


_hasher = PasswordHasher()
# Verified against when the user id is unknown, so a wrong id takes as long as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash("not a password anyone has")

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


# After this many wrong passwords in a row an account is locked for LOCK_MINUTES, so a
# password cannot be guessed online; the lock ends by itself.
MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15


class SignInLocked(Exception):
    """Too many wrong passwords: this account cannot sign in until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


async def authenticate(session: AsyncSession, user_id: str, password: str) -> User | None:
    """The user if the password is theirs (rehashing it if the parameters have changed).
    Argon2 takes tens of milliseconds of CPU on purpose: it runs in a thread, so signing
    in never stalls the pages of everyone else."""
    user = await session.get(User, user_id.strip().lower())
    now = datetime.now(UTC)
    locked = user is not None and user.locked_until is not None and now < user.locked_until
    stored = user.password_hash if user is not None and not locked else _UNKNOWN_USER_HASH
    matches = await asyncio.to_thread(_verify, stored, password)
    if user is None:
        return None
    if locked:
        assert user.locked_until is not None
        raise SignInLocked(user.locked_until)
    if not matches:
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.failed_sign_ins = 0
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        return None
    user.failed_sign_ins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def save_user(
    session: AsyncSession,
    user_id: str,
    password: str,
    display_name: str,
    role: Role,
    department_id: str,
    filer_id: str | None = None,
) -> User:
    if (role is Role.FILER) != (filer_id is not None):
        raise ValueError("A filer account needs a filer id, and only a filer account has one")
    user = User(
        user_id=user_id.strip().lower(),
        password_hash=hash_password(password),
        display_name=display_name,
        role=role.value,
        department_id=department_id,
        filer_id=filer_id,
        failed_sign_ins=0,
        locked_until=None,
    )
    # A new password (or role) ends every session signed in with the old one.
    await session.execute(delete(WebSession).where(WebSession.user_id == user.user_id))
    return await session.merge(user)
