"""Mint and verify Cabinet's bearer tokens: JWTs signed with EdDSA (Ed25519).

Every public key in the trusted directory is trusted to assert any caller, so it holds
only the web service's key and the operators' machine keys. A token names its key by
`kid` (the key id of cabinet_common.signing), so several keys verify side by side and a
key is rotated by adding the new one, switching the minter, then removing the old one.
"""

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cabinet_common.auth.principal import Principal, PrincipalError, Role
from cabinet_common.signing import key_id, load_private_key, public_keys_in

ALGORITHM = "EdDSA"
AUDIENCE = "cabinet"
# Tokens are short-lived: a minter asks for minutes, and no verifier accepts more than this.
MAX_LIFETIME_S = 3600
LEEWAY_S = 30
# How often an unknown kid may make a verifier read its key directory again.
RELOAD_INTERVAL_S = 10.0


class InvalidToken(Exception):
    """The token is missing, malformed, unsigned by a trusted key, expired or incoherent."""


class TokenMinter:
    def __init__(self, private_key: Ed25519PrivateKey, issuer: str) -> None:
        self._private_key = private_key
        self.key_id = key_id(private_key.public_key())
        self.issuer = issuer

    @classmethod
    def from_file(cls, path: Path, issuer: str) -> "TokenMinter":
        return cls(load_private_key(path.read_text()), issuer)

    def mint(self, principal: Principal, lifetime_s: int = 300) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": principal.subject,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + min(lifetime_s, MAX_LIFETIME_S),
            "jti": uuid.uuid4().hex,
            "role": principal.role.value,
        }
        if principal.department_id is not None:
            claims["department_id"] = principal.department_id
        if principal.filer_id is not None:
            claims["filer_id"] = principal.filer_id
        return jwt.encode(claims, self._private_key, ALGORITHM, headers={"kid": self.key_id})


@dataclass(frozen=True)
class TrustedKey:
    key_id: str
    name: str  # the file it came from, for the logs
    public_key: Ed25519PublicKey


def read_trusted_keys(directory: Path) -> dict[str, TrustedKey]:
    """Every public key file in the directory, by key id."""
    return {kid: TrustedKey(kid, directory.name, k) for kid, k in public_keys_in(directory).items()}


class TokenVerifier:
    def __init__(self, keys: dict[str, TrustedKey], directory: Path | None = None) -> None:
        self._keys = keys
        self._directory = directory
        self._lock = Lock()
        self._read_at = time.monotonic()

    @classmethod
    def from_directory(cls, directory: Path) -> "TokenVerifier":
        return cls(read_trusted_keys(directory), directory)

    @classmethod
    def trusting(cls, *public_keys: Ed25519PublicKey) -> "TokenVerifier":
        return cls({key_id(k): TrustedKey(key_id(k), "given", k) for k in public_keys})

    def _key(self, kid: str) -> TrustedKey | None:
        key = self._keys.get(kid)
        if key is None and self._directory is not None:
            # A key added to the mounted directory (a rotation) is picked up without a restart.
            with self._lock:
                if time.monotonic() - self._read_at >= RELOAD_INTERVAL_S:
                    self._read_at = time.monotonic()
                    self._keys = read_trusted_keys(self._directory)
            key = self._keys.get(kid)
        return key

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"malformed token: {error}") from error
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"tokens are signed with {ALGORITHM}")
        key = self._key(str(header.get("kid", "")))
        if key is None:
            raise InvalidToken("the token is not signed by a key this service trusts")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.InvalidTokenError as error:
            raise InvalidToken(str(error)) from error
        if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME_S:
            raise InvalidToken(f"a token may live at most {MAX_LIFETIME_S} s")
        try:
            return Principal(
                subject=str(claims["sub"]),
                role=Role(str(claims.get("role"))),
                department_id=_optional(claims, "department_id"),
                filer_id=_optional(claims, "filer_id"),
            )
        except (ValueError, PrincipalError) as error:
            raise InvalidToken(f"the token's claims are wrong: {error}") from error


def _optional(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return None if value is None else str(value)
