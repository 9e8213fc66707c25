"""Local accounts: who may sign in, with which role, for which department."""

from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_web.tables import User


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


async def authenticate(session: AsyncSession, user_id: str, password: str) -> User | None:
    """The user if the password is theirs (rehashing it if the parameters have changed)."""
    user = await session.get(User, user_id.strip().lower())
    try:
        _hasher.verify(user.password_hash if user else _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


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
    )
    return await session.merge(user)
