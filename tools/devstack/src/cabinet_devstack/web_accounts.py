"""Web sign-in accounts for a seeded department: one per filer, and a caseworker, an
operator and an admin. Written straight into the web service's database, as
`cabinet-web-users add` would."""

import asyncio
from dataclasses import dataclass

from cabinet_common.database import create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_web.accounts import Role, save_user
from cabinet_web.migrations import SCHEMA

DEMO_PASSWORD = "cabinet-demo-password"


@dataclass(frozen=True)
class Account:
    user_id: str
    role: Role
    filer_id: str | None = None


def department_accounts(filer_ids: list[str], prefix: str = "") -> list[Account]:
    """Filers sign in as their filer id, staff as their role; `prefix` keeps the ids of
    several departments in one database apart."""
    staff = [Account(f"{prefix}{role.value}", role) for role in Role if role is not Role.FILER]
    return [*(Account(f"{prefix}{f}", Role.FILER, f) for f in filer_ids), *staff]


def save_accounts(
    database_url: str, department_id: str, accounts: list[Account], password: str = DEMO_PASSWORD
) -> None:
    asyncio.run(_save(database_url, department_id, accounts, password))


async def _save(
    database_url: str, department_id: str, accounts: list[Account], password: str
) -> None:
    engine = create_engine(database_url)
    try:
        # A fresh database (a test's) gets its tables as `cabinet-web migrate` makes them.
        await migrate_engine(engine, SCHEMA)
        async with session_factory(engine).begin() as session:
            for account in accounts:
                await save_user(
                    session,
                    account.user_id,
                    password,
                    account.user_id,
                    account.role,
                    department_id,
                    account.filer_id,
                )
    finally:
        await engine.dispose()
