"""`cabinet-web-users add`: create or reset a local account (the password is read from
standard input, never from the command line, where other users could see it).
`cabinet-web-users add-client`: OAuth2 client credentials for a filer's filing software
(the secret is printed once)."""

import argparse
import asyncio
import getpass
import sys

from cabinet_common.service import database_runtime
from cabinet_web.accounts import Role, save_user
from cabinet_web.filer_clients import register_client
from cabinet_web.migrations import SCHEMA
from cabinet_web.settings import WebSettings


async def _add(args: argparse.Namespace, password: str) -> None:
    async with (
        database_runtime(WebSettings(), SCHEMA) as runtime,
        runtime.sessions.begin() as session,
    ):
        await save_user(
            session,
            args.user_id,
            password,
            args.name or args.user_id,
            Role(args.role),
            args.department,
            args.filer,
        )


async def _add_client(args: argparse.Namespace) -> tuple[str, str]:
    settings = WebSettings()
    async with database_runtime(settings, SCHEMA) as runtime, runtime.sessions.begin() as session:
        return await register_client(session, args.department, args.filer, args.name)


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-web-users", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account, or replace its password and role")
    add.add_argument("user_id")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--department", required=True)
    add.add_argument("--filer", help="the filer a filer account files for")
    add.add_argument("--name", help="the name shown on pages (default: the user id)")
    client = commands.add_parser("add-client", help="client credentials for filing software")
    client.add_argument("--department", required=True)
    client.add_argument("--filer", required=True, help="the filer its tokens act for")
    client.add_argument("--name", required=True, help="the software, e.g. its vendor")
    args = parser.parse_args()
    if args.command == "add-client":
        client_id, secret = asyncio.run(_add_client(args))
        print(f"client_id={client_id}")
        print(f"client_secret={secret}")
        return
    password = (
        getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )
    try:
        asyncio.run(_add(args, password))
    except ValueError as error:
        parser.exit(2, f"cabinet-web-users: {error}\n")
    print(f"saved {args.role} account {args.user_id.strip().lower()} in {args.department}")
