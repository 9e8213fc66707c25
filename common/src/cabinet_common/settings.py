"""Settings every Cabinet process reads from its environment (prefix ``CABINET_``)."""

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cabinet_common.signing import Signer, SigningKeyError, load_private_key, public_keys_in

if TYPE_CHECKING:
    from cabinet_common.temporal_codec import EncryptionCodec


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # How the Kafka clients authenticate (cabinet_common.messaging.kafka.client_options):
    # SASL_PLAINTEXT on the local stack (SCRAM on loopback), SASL_SSL in production. The
    # username is the deployable's principal (cabinet-<name>); its password comes from a
    # mounted file (preferred) or the environment. PLAINTEXT sends no credentials at all.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password_file: Path | None = None
    kafka_password: SecretStr | None = None
    # The CA that signed the brokers' certificates (SASL_SSL); unset, the system's CAs.
    kafka_ca_file: Path | None = None
    # Short timeouts make a consumer join its group in 1-3 s instead of ~5 s; tests use them.
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    # The largest event Cabinet writes (key, value and headers). Kafka refuses records over
    # its message.max.bytes (1 MiB by default) for good, so producers refuse them first.
    kafka_max_event_bytes: int = 1_000_000
    # What lands in a `.dlq` topic waits for an operator: kept 30 days unless told otherwise.
    kafka_dead_letter_retention_ms: int = 30 * 24 * 60 * 60 * 1000
    # Partitions of each topic Cabinet creates: the most consumer replicas (and partition
    # workers) that can share a topic. Topics that exist already keep theirs.
    kafka_partitions: int = 12
    # How long published outbox rows and processed-event rows are kept (de-duplication
    # reaches back this far; keep it at least Kafka's retention).
    messaging_retention_days: float = 7
    log_level: str = "INFO"
    log_json: bool = True
    # Where traces go (cabinet_common.observability.tracing): an OTLP/HTTP collector's base
    # URL and/or a JSON-lines file. Neither set (the default): no spans are exported.
    otlp_endpoint: str | None = None
    traces_file: Path | None = None


class DatabaseSettings(BaseSettings):
    """What `cabinet-<service> migrate` reads: the service's own database."""

    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    database_url: str


class ServiceSettings(CommonSettings, DatabaseSettings):
    """An HTTP service that owns one database."""

    host: str = "127.0.0.1"
    port: int
    # The public keys whose tokens this service accepts (one file each, PEM or base64):
    # the web service's and the machine identities'. Unset, every call is refused (401).
    auth_trusted_keys_dir: Path | None = None
    # The largest request body this service reads (cabinet_common.body_limit): counted as
    # it arrives, and answered 413 BODY_TOO_LARGE the moment it passes. Services that take
    # files raise it.
    max_request_bytes: int = 2 * 1024 * 1024


class TemporalPayloadKeySettings(BaseSettings):
    """The keys that encrypt Temporal payloads (cabinet_common.temporal_codec): every process
    with a Temporal client, and the web service's codec endpoint for the Temporal Web UI."""

    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    # The current AES-256 key, base64 of 32 bytes, in a mounted file (`cabinet-keys
    # payload-key` makes one). Unset, no Temporal client starts.
    temporal_payload_key_file: Path | None = None
    # Earlier keys (one file each): still decrypting what they encrypted.
    temporal_payload_keys_dir: Path | None = None

    def payload_codec(self) -> "EncryptionCodec":
        # Imported here: only processes with the Temporal extra have the SDK.
        from cabinet_common.temporal_codec import EncryptionCodec, PayloadKeyError

        if self.temporal_payload_key_file is None:
            raise PayloadKeyError(
                "no Temporal payload key is configured: set CABINET_TEMPORAL_PAYLOAD_KEY_FILE"
                " to a file holding one (`cabinet-keys payload-key` makes one)"
            )
        return EncryptionCodec.from_files(
            self.temporal_payload_key_file, self.temporal_payload_keys_dir
        )


class TemporalSettings(TemporalPayloadKeySettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    # How clients reach a Temporal cluster that is not the local dev server (which has no
    # TLS): TLS with the system's root CAs, or with the CA in temporal_tls_ca_file; mTLS
    # adds a client certificate and key; Temporal Cloud takes an API key instead (or as
    # well). Any of the files or the API key turns TLS on. cabinet_common.temporal.connect.
    temporal_tls: bool = False
    temporal_tls_ca_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_tls_client_cert_file: Path | None = None
    temporal_tls_client_key_file: Path | None = None
    temporal_api_key_file: Path | None = None
    obligation_task_queue: str = "cabinet-obligations"
    # Quarter workflows have a queue of their own, so a fan-out is never stuck behind the
    # first tasks of the thousands of obligation workflows it has just started.
    quarter_task_queue: str = "cabinet-quarters"
    # host:port where the Temporal SDK serves its own Prometheus metrics (at /metrics);
    # unset, it keeps them to itself.
    temporal_sdk_metrics_address: str | None = None


class SigningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    # The Ed25519 key that signs what Cabinet hands out: a base64 32-byte seed or a PEM
    # private key (`cabinet-keys generate` makes one), in a mounted file (preferred) or in
    # the environment. Unset, nothing can be signed.
    signing_key_file: Path | None = None
    signing_key: SecretStr | None = None
    # The public keys of earlier signing keys (one file each): still published and still
    # verifying what they signed.
    signing_public_keys_dir: Path | None = None

    @field_validator("signing_key")
    @classmethod
    def _is_an_ed25519_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            load_private_key(value.get_secret_value())
        return value

    def signer(self) -> Signer:
        if self.signing_key_file is not None:
            return Signer.from_config(self.signing_key_file.read_text())
        if self.signing_key is None:
            raise SigningKeyError(
                "no signing key is configured: set CABINET_SIGNING_KEY_FILE or"
                " CABINET_SIGNING_KEY (`cabinet-keys generate` makes one)"
            )
        return Signer.from_config(self.signing_key.get_secret_value())

    def published_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every key Cabinet has signed with, by key id: the earlier ones and the current."""
        keys = public_keys_in(self.signing_public_keys_dir) if self.signing_public_keys_dir else {}
        try:
            signer = self.signer()
        except SigningKeyError:
            return keys
        return keys | {signer.key_id: signer.public_key}
