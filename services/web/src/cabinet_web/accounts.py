"""Local accounts: who may sign in, with which role, for which department."""

import asyncio
import functools
import threading
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_web.tables import SignInThrottle, User, WebSession


class Role(StrEnum):
    FILER = "filer"
    CASEWORKER = "caseworker"
    OPERATOR = "operator"
    ADMIN = "admin"


# OWASP's argon2id profile of 19 MiB, 2 passes, 1 lane: by its reckoning as costly to
# guess against as RFC 9106's 64 MiB profile (argon2-cffi's default), at under a third of
# the memory per sign-in. A hash made with other parameters still verifies, and is made
# again with these at its owner's next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _unknown_user_hash() -> str:
    """Verified against when the user id is unknown, so a wrong id takes as long as a
    wrong password (made at the first such sign-in, not when the module is imported)."""
    return _hasher.hash("not a password anyone has")


MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


# After this many wrong passwords in a row for one account from one client, that client
# may not try that account for LOCK_MINUTES, so a password cannot be guessed online; the
# lock ends by itself, and the account's owner, from anywhere else, is never locked out.
MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15
# Argon2 takes ~19 MiB and tens of milliseconds of CPU per check, on purpose: at most this
# many run at once (the rest wait), so a flood of sign-ins bounds memory and leaves CPU.
MAX_CONCURRENT_VERIFICATIONS = 2
_verifications = threading.BoundedSemaphore(MAX_CONCURRENT_VERIFICATIONS)


class SignInLocked(Exception):
    """Too many wrong passwords from this client: it cannot sign in until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


async def authenticate(
    session: AsyncSession, user_id: str, password: str, client: str = ""
) -> User | None:
    """The user if the password is theirs (rehashing it if the parameters have changed).
    Argon2 runs in a thread, bounded, so signing in never stalls the pages of everyone else."""
    user_id = user_id.strip().lower()
    user = await session.get(User, user_id)
    now = datetime.now(UTC)
    throttle = await session.get(SignInThrottle, (user_id, client[:100]))
    if throttle is not None and throttle.locked_until is not None and now < throttle.locked_until:
        raise SignInLocked(throttle.locked_until)
    stored = user.password_hash if user is not None else None
    matches = await asyncio.to_thread(_verify, stored, password)
    if user is None:
        return None
    if not matches:
        if throttle is None:
            throttle = SignInThrottle(user_id=user_id, client=client[:100], failures=0)
            session.add(throttle)
        throttle.failures += 1
        if throttle.failures >= MAX_FAILED_SIGN_INS:
            throttle.failures = 0
            throttle.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        return None
    if throttle is not None:
        await session.delete(throttle)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    return user


def _verify(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash (None: an unknown user's, which never does)."""
    with _verifications:
        try:
            return _hasher.verify(password_hash or _unknown_user_hash(), password)
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
