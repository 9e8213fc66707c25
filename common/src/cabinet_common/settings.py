"""Settings every Cabinet process reads from its environment (prefix ``CABINET_``)."""

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cabinet_common.signing import Signer, SigningKeyError, load_private_key, public_keys_in


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
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


class TemporalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
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
