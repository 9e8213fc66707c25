from pathlib import Path

from pydantic import SecretStr

from cabinet_common.settings import ServiceSettings, TemporalPayloadKeySettings


class WebSettings(ServiceSettings, TemporalPayloadKeySettings):
    port: int = 8000
    intake_url: str = "http://127.0.0.1:8001"
    cycles_url: str = "http://127.0.0.1:8003"
    # Reads an uploaded receipt (not filed yet) to pre-fill its line.
    receipts_url: str = "http://127.0.0.1:8002"
    # Signs the CSRF cookie. Every replica must share it, and it must outlive restarts.
    secret_key: SecretStr
    # Off only for plain-HTTP local development; browsers drop Secure cookies elsewhere.
    cookie_secure: bool = True
    # Each request body is cut off (413) once it passes this: one receipt file (10 MB) and
    # its form fields.
    max_request_bytes: int = 11 * 1024 * 1024
    # The department's contact details, shown on /help and /forgotten-password
    # (CABINET_SUPPORT_EMAIL, CABINET_SUPPORT_PHONE, CABINET_SUPPORT_HOURS).
    support_email: str = ""
    support_phone: str = ""
    support_hours: str = "Monday to Friday, 9am to 5pm (except bank holidays)"
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # The Ed25519 private key (PEM or base64 seed) that signs the tokens the pages send to
    # intake and cycles for the signed-in user; those services trust its public key.
    auth_private_key_file: Path | None = None
    # The Temporal Web UI's origin: the only one whose scripts may call the codec endpoint
    # (/temporal-codec) with an operator's cookies. The payload keys are the worker's.
    temporal_ui_origin: str = "http://127.0.0.1:8233"
