from pathlib import Path

from pydantic import SecretStr

from cabinet_common.settings import ServiceSettings


class WebSettings(ServiceSettings):
    port: int = 8000
    intake_url: str = "http://127.0.0.1:8001"
    cycles_url: str = "http://127.0.0.1:8003"
    # Signs the CSRF cookie. Every replica must share it, and it must outlive restarts.
    secret_key: SecretStr
    # Off only for plain-HTTP local development; browsers drop Secure cookies elsewhere.
    cookie_secure: bool = True
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # The Ed25519 private key (PEM or base64 seed) that signs the tokens the pages send to
    # intake and cycles for the signed-in user; those services trust its public key.
    auth_private_key_file: Path | None = None
