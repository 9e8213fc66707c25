"""Machine identities: a CLI, the demo seed or a test harness mints its own short-lived
token with a private key the APIs trust (CABINET_AUTH_PRIVATE_KEY_FILE; the local stack
makes `.stack/keys/auth/ops.pem`).

    cabinet-token                                    # a machine token (role service)
    cabinet-token --role caseworker --department demo --subject clerk-7
"""

import argparse
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import TokenMinter


class MachineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    auth_private_key_file: Path = Path(".stack/keys/auth/ops.pem")
    # Who the machine says it is: the subject of its tokens, recorded as the actor.
    auth_identity: str = "ops"


def machine_minter(settings: MachineSettings | None = None) -> TokenMinter:
    settings = settings or MachineSettings()
    return TokenMinter.from_file(
        settings.auth_private_key_file, f"machine:{settings.auth_identity}"
    )


def machine_headers(
    settings: MachineSettings | None = None, lifetime_s: int = 900
) -> dict[str, str]:
    """Authorization for a machine identity acting in every department."""
    settings = settings or MachineSettings()
    principal = Principal(subject=settings.auth_identity, role=Role.SERVICE, department_id=None)
    return {"Authorization": f"Bearer {machine_minter(settings).mint(principal, lifetime_s)}"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-token", description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.SERVICE.value)
    parser.add_argument("--department", help="the department (required but for service)")
    parser.add_argument("--filer", help="the filer, for role filer")
    parser.add_argument("--subject", help="who (default: CABINET_AUTH_IDENTITY)")
    parser.add_argument("--minutes", type=int, default=15)
    args = parser.parse_args()
    settings = MachineSettings()
    principal = Principal(
        subject=args.subject or settings.auth_identity,
        role=Role(args.role),
        department_id=args.department,
        filer_id=args.filer,
    )
    print(machine_minter(settings).mint(principal, args.minutes * 60))
