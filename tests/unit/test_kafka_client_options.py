"""Every Kafka client of Cabinet connects with cabinet_common.messaging.kafka.client_options:
the deployable's principal and password (from a mounted file) under SASL, TLS with the
configured CA under SASL_SSL (issue 11)."""

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from cabinet_common.messaging.kafka import KafkaCredentialsError, client_options
from cabinet_common.settings import CommonSettings


def test_plaintext_sends_no_credentials() -> None:
    options = client_options(CommonSettings(kafka_bootstrap_servers="kafka:9092"))
    assert options == {"bootstrap_servers": "kafka:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_reads_the_password_from_its_mounted_file(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("s3cret-from-the-secret\n")
    settings = CommonSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username="cabinet-intake",
        kafka_password_file=password,
        kafka_password=SecretStr("ignored: the file wins"),
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "cabinet-intake"
    assert options["sasl_plain_password"] == "s3cret-from-the-secret"
    assert "ssl_context" not in options


def test_sasl_ssl_trusts_the_configured_ca(tmp_path: Path) -> None:
    settings = CommonSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_username="cabinet-worker",
        kafka_password=SecretStr("pw"),
    )
    options = client_options(settings)
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    missing_ca = settings.model_copy(update={"kafka_ca_file": tmp_path / "ca.crt"})
    with pytest.raises(FileNotFoundError):
        client_options(missing_ca)


def test_sasl_without_credentials_is_refused_with_what_to_set() -> None:
    settings = CommonSettings(kafka_security_protocol="SASL_SSL", kafka_username="cabinet-web")
    with pytest.raises(KafkaCredentialsError, match="CABINET_KAFKA_PASSWORD_FILE"):
        client_options(settings)
