"""Tokens for tests of the APIs in process: one key made per test run, trusted by the apps
the tests build, and bearer headers for any caller."""

from collections.abc import Iterator, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import MAX_LIFETIME_S, TokenMinter, TokenVerifier

_KEY = Ed25519PrivateKey.generate()
MINTER = TokenMinter(_KEY, "tests")


def trust_test_tokens(app: FastAPI) -> None:
    app.state.token_verifier = TokenVerifier.trusting(_KEY.public_key())


def bearer(
    role: Role = Role.SERVICE,
    department_id: str | None = None,
    filer_id: str | None = None,
    subject: str = "tests",
) -> dict[str, str]:
    principal = Principal(subject, role, department_id, filer_id)
    # The longest a token may live: some are made when a test module is imported, and the
    # whole suite runs longer than a production token's few minutes.
    return {"Authorization": f"Bearer {MINTER.mint(principal, MAX_LIFETIME_S)}"}


class _FreshMachineBearer(Mapping[str, str]):
    """A machine identity's bearer header, minted when it is read: a header minted once at
    import would expire during a long test run."""

    def __getitem__(self, name: str) -> str:
        return bearer()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(("Authorization",))

    def __len__(self) -> int:
        return 1


MACHINE: Mapping[str, str] = _FreshMachineBearer()
