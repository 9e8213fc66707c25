"""Settings every Cabinet process reads from its environment (prefix ``CABINET_``)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Short timeouts make a consumer join its group in 1-3 s instead of ~5 s; tests use them.
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    log_level: str = "INFO"
    log_json: bool = True


class ServiceSettings(CommonSettings):
    """An HTTP service that owns one database."""

    database_url: str
    host: str = "127.0.0.1"
    port: int


class TemporalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    obligation_task_queue: str = "cabinet-obligations"
