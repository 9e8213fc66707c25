"""deploy/: every kustomize overlay builds, and what it renders is safe to apply.

Each environment (deploy/k8s/overlays/<environment>/) holds one overlay per deployable and
one per shared unit (shared settings, topics), each applied on its own. Every overlay is
rendered with the real kustomize (`make kustomize` builds it into .stack/bin/), and the
objects of an environment are checked against what the code reads: every CABINET_*
variable a process needs is set (and names a setting that exists), secrets arrive only by
reference, pods are locked down, HTTP services are probed on their health endpoints. A
deployable's overlay renders its own objects only, and changing its image tag changes no
other deployable's objects. The Containerfiles are built and started by `make images`
(tests/images/); here they are checked against the packages they install.
"""

import functools
import re
import shutil
import subprocess
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from cabinet_common.events import Topic
from cabinet_common.messaging.acls import Acl, acls
from cabinet_common.settings import CommonSettings
from cabinet_cycles.settings import CyclesSettings
from cabinet_devstack import images
from cabinet_intake.settings import IntakeSettings
from cabinet_receipts.settings import ReceiptsSettings
from cabinet_web.settings import WebSettings
from cabinet_workflows.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUSTOMIZE = ROOT / ".stack" / "bin" / "kustomize"
# An environment is a folder of overlays, one per deployable or shared unit.
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if path.is_dir())

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Deployable:
    name: str  # deploy/images/<name>.Containerfile, Deployment cabinet-<name>
    package_dir: str
    settings: type[BaseSettings]
    http: bool
    # Settings its class inherits that the process never reads (web has no Kafka side):
    # not required, and not to be set either.
    unused: frozenset[str] = frozenset()

    @property
    def deployment(self) -> str:
        return f"cabinet-{self.name}"

    @property
    def pyproject(self) -> dict[str, Any]:
        with (ROOT / self.package_dir / "pyproject.toml").open("rb") as file:
            return tomllib.load(file)

    @property
    def env(self) -> dict[str, FieldInfo]:
        """The CABINET_* variables the process reads."""
        settings = env_names(self.settings)
        assert self.unused <= set(settings), self.unused - set(settings)
        return {var: info for var, info in settings.items() if var not in self.unused}


DEPLOYABLES = (
    Deployable("intake", "services/intake", IntakeSettings, http=True),
    Deployable("receipts", "services/receipts", ReceiptsSettings, http=True),
    Deployable("cycles", "services/cycles", CyclesSettings, http=True),
    Deployable("worker", "workflows", WorkerSettings, http=False),
    Deployable(
        "web",
        "services/web",
        WebSettings,
        http=True,
        unused=frozenset(
            {
                "CABINET_KAFKA_BOOTSTRAP_SERVERS",
                "CABINET_KAFKA_SESSION_TIMEOUT_MS",
                "CABINET_KAFKA_HEARTBEAT_INTERVAL_MS",
                "CABINET_KAFKA_SECURITY_PROTOCOL",
                "CABINET_KAFKA_SASL_MECHANISM",
                "CABINET_KAFKA_USERNAME",
                "CABINET_KAFKA_PASSWORD_FILE",
                "CABINET_KAFKA_PASSWORD",
                "CABINET_KAFKA_CA_FILE",
                # Web signs tokens; it verifies none.
                "CABINET_AUTH_TRUSTED_KEYS_DIR",
            }
        ),
    ),
)
BY_DEPLOYMENT = {deployable.deployment: deployable for deployable in DEPLOYABLES}

# A default that only makes sense on a developer's machine: loopback addresses, paths in
# the work tree's .stack/, SQLite files. In a pod each of these must be set.
MACHINE_LOCAL_DEFAULTS = ("127.0.0.1", "localhost", ".stack", "sqlite")
# What two processes must agree on: one ConfigMap key each, never a value per Deployment.
SHARED_CONFIG = {
    "CABINET_KAFKA_BOOTSTRAP_SERVERS",
    "CABINET_KAFKA_SECURITY_PROTOCOL",
    "CABINET_TEMPORAL_ADDRESS",
    "CABINET_TEMPORAL_NAMESPACE",
    "CABINET_OBLIGATION_TASK_QUEUE",
    "CABINET_QUARTER_TASK_QUEUE",
    "CABINET_CYCLES_TASK_QUEUE",
}
SECRET_LOOKING_NAME = re.compile(r"KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL|DATABASE_URL")
SECRET_MATERIAL = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    # user:password@ in a URL, unless the password is a shell variable in an example.
    re.compile(r"://[^/\s:@'\"]+:(?!\$)[^@\s/'\"]+@"),
    # An Ed25519 seed in base64 (what `cabinet-keys generate` prints).
    re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])"),
)


def units(environment: Path) -> list[str]:
    """The overlays of one environment: a deployable's (its name) or a shared unit's."""
    return sorted(p.name for p in environment.iterdir() if (p / "kustomization.yaml").is_file())


@functools.cache
def render(target: str) -> tuple[Manifest, ...]:
    """One overlay, or (overlays/<environment>) every overlay of an environment together."""
    path = K8S / target
    if not (path / "kustomization.yaml").is_file():
        return tuple(obj for unit in units(path) for obj in render(f"{target}/{unit}"))
    return build(path)


def build(path: Path) -> tuple[Manifest, ...]:
    if not KUSTOMIZE.is_file():
        pytest.fail(f"{KUSTOMIZE.relative_to(ROOT)} is missing: run `make kustomize`")
    result = subprocess.run(
        [str(KUSTOMIZE), "build", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build {path} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(objects: tuple[Manifest, ...], kind: str) -> dict[str, Manifest]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def containers(deployment: Manifest) -> list[Manifest]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def init_containers(deployment: Manifest) -> list[Manifest]:
    init: list[Manifest] = deployment["spec"]["template"]["spec"].get("initContainers", [])
    return init


def env_names(settings: type[BaseSettings]) -> dict[str, FieldInfo]:
    prefix = settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper(): info for name, info in settings.model_fields.items()}


def is_secret_setting(name: str, info: FieldInfo) -> bool:
    annotation = info.annotation
    return (
        name.endswith("DATABASE_URL")
        or annotation is SecretStr
        or SecretStr in getattr(annotation, "__args__", ())
    )


def is_path_setting(info: FieldInfo) -> bool:
    annotation = info.annotation
    return annotation is Path or Path in getattr(annotation, "__args__", ())


def must_be_set(name: str, info: FieldInfo) -> bool:
    if info.is_required() or is_secret_setting(name, info) or name in SHARED_CONFIG:
        return True
    return any(marker in str(info.default) for marker in MACHINE_LOCAL_DEFAULTS)


@dataclass(frozen=True)
class EnvValue:
    source: str  # "value", "configmap" or "secret"
    value: str | None  # the literal or the ConfigMap's value; None for a secret
    ref: tuple[str, str] | None = None  # (ConfigMap or Secret name, key)


def resolve_env(container: Manifest, objects: tuple[Manifest, ...]) -> dict[str, EnvValue]:
    config_maps = of_kind(objects, "ConfigMap")
    assert "envFrom" not in container, (
        f"{container['name']}: name each variable (configMapKeyRef/secretKeyRef), so that"
        " what a process gets can be read from its manifest"
    )
    resolved: dict[str, EnvValue] = {}
    for var in container.get("env", []):
        name = var["name"]
        assert name not in resolved, f"{container['name']}: {name} is set twice"
        if "value" in var:
            resolved[name] = EnvValue("value", str(var["value"]))
            continue
        source = var["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            assert not ref.get("optional"), f"{name}: an optional ConfigMap key may be unset"
            assert ref["name"] in config_maps, f"{name}: no ConfigMap {ref['name']}"
            data = config_maps[ref["name"]].get("data", {})
            assert ref["key"] in data, f"{name}: ConfigMap {ref['name']} has no {ref['key']}"
            resolved[name] = EnvValue("configmap", data[ref["key"]], (ref["name"], ref["key"]))
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            assert not ref.get("optional"), f"{name}: an optional Secret key may be unset"
            resolved[name] = EnvValue("secret", None, (ref["name"], ref["key"]))
        else:
            raise AssertionError(f"{name}: unexpected source {source}")
    return resolved


def parse_quantity(quantity: str | int) -> float:
    text = str(quantity)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_there_are_overlays_to_check() -> None:
    assert {"local", "production"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_each_deployable_on_its_own(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    deployments = of_kind(objects, "Deployment")
    services = of_kind(objects, "Service")
    accounts = of_kind(objects, "ServiceAccount")
    assert set(deployments) == set(BY_DEPLOYMENT)
    assert set(services) == {d.deployment for d in DEPLOYABLES if d.http}
    assert not of_kind(objects, "Secret"), "Secrets are created outside the repository"
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        assert pod["spec"]["serviceAccountName"] == name
        assert name in accounts
        assert accounts[name].get("automountServiceAccountToken") is False
        assert pod["spec"].get("automountServiceAccountToken") is False
        assert selects(deployment["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"])
    # KafkaTopics and KafkaUsers live in the Kafka cluster's namespace, where Strimzi's
    # operators watch.
    namespaces = {
        obj["metadata"].get("namespace")
        for obj in objects
        if obj["kind"] not in {"KafkaTopic", "KafkaUser"}
    }
    assert len(namespaces) == 1 and None not in namespaces, namespaces
    for obj in objects:
        assert obj["metadata"]["labels"].get("app.kubernetes.io/part-of") == "cabinet", obj


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_non_root_read_only_and_bounded(overlay: str) -> None:
    for name, deployment in of_kind(render(f"overlays/{overlay}"), "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        pod_security = pod["securityContext"]
        assert pod_security["runAsNonRoot"] is True, name
        assert pod_security["runAsUser"] != 0, name
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault", name
        mounts_tmp = False
        for container in containers(deployment):
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert not security.get("privileged"), where
            # The image's entry point runs; an init container may run another of its scripts.
            if container in pod.get("initContainers", []):
                (script,) = container["command"]
                assert script in BY_DEPLOYMENT[name].pyproject["project"]["scripts"], where
                assert container.get("args", ["migrate"]) == ["migrate"], where
            else:
                assert "command" not in container and "args" not in container, where
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                request = parse_quantity(resources["requests"][resource])
                limit = parse_quantity(resources["limits"][resource])
                assert 0 < request <= limit, f"{where}: {resource} {request} > {limit}"
            mounts_tmp |= any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])
        assert mounts_tmp, f"{name}: a read-only root filesystem needs a writable /tmp"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned(overlay: str) -> None:
    for name, deployment in of_kind(render(f"overlays/{overlay}"), "Deployment").items():
        for container in containers(deployment):
            image = container["image"]
            repository, _, digest = image.partition("@")
            tag = repository.rpartition("/")[2].partition(":")[2]
            assert tag or digest, f"{name}: {image} has no tag"
            assert tag != "latest", f"{name}: {image}"
            assert digest or re.fullmatch(r"\d+\.\d+\.\d+(-[\w.]+)?", tag), f"{name}: {image}"
            assert repository.rpartition("/")[2].startswith(f"{name}:"), f"{name}: {image}"


METRICS_PORTS = {"metrics", "sdk-metrics"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_http_services_are_probed_and_reachable(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    deployments = of_kind(objects, "Deployment")
    services = of_kind(objects, "Service")
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = resolve_env(container, objects)
        probes = [container.get(p) for p in ("startupProbe", "livenessProbe", "readinessProbe")]
        # Besides its API, a process may serve metrics on ports of their own.
        ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
        api_ports = {k: v for k, v in ports.items() if k not in METRICS_PORTS}
        if not BY_DEPLOYMENT[name].http:
            assert not api_ports, name
            assert not any(probe and "httpGet" in probe for probe in probes), name
            continue
        assert api_ports == {"http": int(env["CABINET_PORT"].value or "")}, name
        assert env["CABINET_HOST"].value == "0.0.0.0", f"{name} must listen beyond loopback"
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        service = services[name]
        assert service["spec"]["ports"][0]["targetPort"] == "http"
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in deployments.items()}
    for name, service in services.items():
        selected = [
            n for n, labels in pod_labels.items() if selects(service["spec"]["selector"], labels)
        ]
        assert selected == [name], f"Service {name} selects {selected}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_a_process_needs_is_set(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    shared: dict[str, set[tuple[str, str] | None]] = {}
    for name, deployment in of_kind(objects, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = resolve_env(container, objects)
        settings = BY_DEPLOYMENT[name].env
        unknown = {var for var in env if var.startswith("CABINET_")} - set(settings)
        assert not unknown, f"{name} sets {unknown}, which its settings do not read"
        missing = {var for var, info in settings.items() if must_be_set(var, info)} - set(env)
        # A secret given as a mounted file instead (CABINET_X_FILE for CABINET_X).
        missing = {var for var in missing if f"{var}_FILE" not in env}
        assert not missing, f"{name} leaves {missing} at a developer-machine default"
        for var, value in env.items():
            assert value.source == "secret" or value.value, f"{name}: {var} is empty"
            if var in SHARED_CONFIG:
                assert value.source == "configmap", f"{name}: {var} belongs in the ConfigMap"
                shared.setdefault(var, set()).add(value.ref)
    # Where two processes read the same thing, they read the same ConfigMap key.
    assert all(len(refs) == 1 for refs in shared.values()), shared


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_arrive_only_by_reference(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    for name, deployment in of_kind(objects, "Deployment").items():
        settings = BY_DEPLOYMENT[name].env
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        for var, value in resolve_env(container, objects).items():
            if var in settings and is_secret_setting(var, settings[var]):
                assert value.source == "secret", f"{name}: {var} must come from a Secret"
            if value.source != "secret" and not secret_file(deployment, value):
                assert not SECRET_LOOKING_NAME.search(var), f"{name}: {var} is not a secret"
    rendered = yaml.safe_dump_all(objects)
    for pattern in SECRET_MATERIAL:
        assert not pattern.search(rendered), pattern.pattern


def secret_file(deployment: dict[str, Any], value: "EnvValue") -> bool:
    """Whether a literal is a path inside a volume mounted read-only from a Secret or a
    ConfigMap (a key file: the variable names the file, the volume holds the key)."""
    spec = deployment["spec"]["template"]["spec"]
    from_secrets = {v["name"] for v in spec.get("volumes", []) if "secret" in v or "configMap" in v}
    (container,) = spec["containers"]
    return value.value is not None and any(
        mount["name"] in from_secrets
        and mount.get("readOnly")
        and (value.value + "/").startswith(mount["mountPath"].rstrip("/") + "/")
        for mount in container.get("volumeMounts", [])
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_tokens_are_signed_and_verified_with_keys_from_secrets(overlay: str) -> None:
    """The APIs trust the public keys mounted from one Secret; web signs its users' tokens
    with a private key mounted from another; no other process holds either."""
    objects = render(f"overlays/{overlay}")
    for name, deployment in of_kind(objects, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = resolve_env(container, objects)
        wanted = {
            "cabinet-intake": "CABINET_AUTH_TRUSTED_KEYS_DIR",
            "cabinet-receipts": "CABINET_AUTH_TRUSTED_KEYS_DIR",
            "cabinet-cycles": "CABINET_AUTH_TRUSTED_KEYS_DIR",
            "cabinet-web": "CABINET_AUTH_PRIVATE_KEY_FILE",
        }.get(name)
        held = {var for var in env if var.startswith("CABINET_AUTH_")}
        assert held == ({wanted} if wanted else set()), (name, held)
        if wanted:
            assert secret_file(deployment, env[wanted]), (name, env[wanted])


# Paths a process only reads: receipts reads the receipt files intake stored, never writes.
READ_ONLY_PATHS = {("cabinet-receipts", "CABINET_EVIDENCE_DIR")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_path_a_process_writes_is_a_writable_volume(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    for name, deployment in of_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        (container,) = pod["containers"]
        settings = BY_DEPLOYMENT[name].env
        env = resolve_env(container, objects)
        for var, info in settings.items():
            # A key file or directory mounted read-only from a Secret is read, not written;
            # an optional path left unset is not written at all.
            if not is_path_setting(info) or (var in env and secret_file(deployment, env[var])):
                continue
            if var not in env and info.default is None:
                continue
            if (name, var) in READ_ONLY_PATHS:
                continue
            path = Path(env[var].value or "")
            assert path.is_absolute(), f"{name}: {var}={path}"
            mounts = [
                m
                for m in container["volumeMounts"]
                if path.is_relative_to(m["mountPath"]) and not m.get("readOnly")
            ]
            assert mounts, f"{name}: {var}={path} is on the read-only root filesystem"
        for mount in container["volumeMounts"]:
            assert mount["name"] in volumes, f"{name}: no volume {mount['name']}"
    # Receipt files are evidence: they outlive the pod.
    intake = of_kind(objects, "Deployment")["cabinet-intake"]["spec"]["template"]["spec"]
    evidence_dir = resolve_env(intake["containers"][0], objects)["CABINET_EVIDENCE_DIR"].value
    (mount,) = [
        m for m in intake["containers"][0]["volumeMounts"] if m["mountPath"] == evidence_dir
    ]
    (volume,) = [v for v in intake["volumes"] if v["name"] == mount["name"]]
    claim = volume["persistentVolumeClaim"]["claimName"]
    assert claim in of_kind(objects, "PersistentVolumeClaim")
    # Receipts reads the same files, from the same claim, read-only.
    receipts = of_kind(objects, "Deployment")["cabinet-receipts"]["spec"]["template"]["spec"]
    receipts_dir = resolve_env(receipts["containers"][0], objects)["CABINET_EVIDENCE_DIR"].value
    (receipts_mount,) = [
        m for m in receipts["containers"][0]["volumeMounts"] if m["mountPath"] == receipts_dir
    ]
    assert receipts_mount.get("readOnly") is True
    (receipts_volume,) = [v for v in receipts["volumes"] if v["name"] == receipts_mount["name"]]
    assert receipts_volume["persistentVolumeClaim"]["claimName"] == claim


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replicated_deployments_have_disruption_budgets(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    deployments = of_kind(objects, "Deployment")
    budgets = of_kind(objects, "PodDisruptionBudget")
    covered = set()
    for budget_name, budget in budgets.items():
        selector = budget["spec"]["selector"]["matchLabels"]
        selected = [
            name
            for name, deployment in deployments.items()
            if selects(selector, deployment["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(selected) == 1, f"PodDisruptionBudget {budget_name} selects {selected}"
        assert budget["spec"]["minAvailable"] < deployments[selected[0]]["spec"]["replicas"]
        covered.add(selected[0])
    for name, deployment in deployments.items():
        if deployment["spec"]["replicas"] > 1:
            assert name in covered, f"{name} has replicas but no PodDisruptionBudget"
    if overlay == "production":
        for deployable in DEPLOYABLES:
            if deployable.http:
                assert deployments[deployable.deployment]["spec"]["replicas"] >= 2
        claim = of_kind(objects, "PersistentVolumeClaim")["cabinet-intake-evidence"]
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"], "two intake pods share it"


def test_the_overlays_patch_one_base() -> None:
    """No copies of a manifest: overlays hold patches, PDBs and config, never Deployments."""
    for overlay in OVERLAYS:
        for path in (K8S / "overlays" / overlay).rglob("*.yaml"):
            for doc in yaml.safe_load_all(path.read_text()):
                kind = (doc or {}).get("kind")
                assert kind not in {"Deployment", "Service", "ServiceAccount"}, path


@pytest.mark.parametrize("deployable", [d for d in DEPLOYABLES if d.unused], ids=lambda d: d.name)
def test_settings_marked_unused_are_not_read_by_the_package(deployable: Deployable) -> None:
    prefix = deployable.settings.model_config.get("env_prefix", "")
    sources = "\n".join(
        path.read_text() for path in (ROOT / deployable.package_dir / "src").rglob("*.py")
    )
    for var in deployable.unused:
        field = var.removeprefix(prefix.upper()).lower()
        assert field not in sources, f"{deployable.name} reads {var}: it is not unused"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_reaches_intake_cycles_and_receipts_through_their_services(overlay: str) -> None:
    objects = render(f"overlays/{overlay}")
    services = of_kind(objects, "Service")
    web = of_kind(objects, "Deployment")["cabinet-web"]["spec"]["template"]["spec"]
    env = resolve_env(web["containers"][0], objects)
    for var, service in (
        ("CABINET_INTAKE_URL", "cabinet-intake"),
        ("CABINET_CYCLES_URL", "cabinet-cycles"),
        ("CABINET_RECEIPTS_URL", "cabinet-receipts"),
    ):
        url = urlsplit(env[var].value or "")
        assert (url.scheme, url.hostname) == ("http", service), f"{var}={env[var].value}"
        ports = [port["port"] for port in services[service]["spec"]["ports"]]
        assert (url.port or 80) in ports, f"{var}={env[var].value}: {service} listens on {ports}"
    # Secure cookies everywhere but on a laptop, where the pages are reached over plain HTTP.
    secure = env.get("CABINET_COOKIE_SECURE")
    if overlay != "local":
        assert secure is None or secure.value == "true", f"{overlay}: cookies must be Secure"


def test_web_image_gets_govuk_frontend_in_its_wheel(tmp_path: Path) -> None:
    """The web image installs the cabinet-web wheel built on the host, whose static/govuk/
    comes from the locked npm package (`make install`); an image prepared from a wheel
    without it is refused before anything is built."""
    with (ROOT / "services/web/pyproject.toml").open("rb") as file:
        wheel = tomllib.load(file)["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "src/cabinet_web/static/govuk" in wheel["artifacts"]
    with zipfile.ZipFile(tmp_path / "cabinet_web-0.1.0-py3-none-any.whl", "w") as archive:
        archive.writestr("cabinet_web/app.py", "")
    with pytest.raises(SystemExit, match=r"no GOV\.UK Frontend assets"):
        images.check_web_assets(tmp_path)


# The Debian packages each image installs: the receipts service reads scanned receipts
# with Tesseract and its English data (issue 15).
APT_PACKAGES = {"receipts": {"tesseract-ocr", "tesseract-ocr-eng"}}


@pytest.mark.parametrize("deployable", DEPLOYABLES, ids=lambda d: d.name)
def test_containerfile_installs_its_wheels_into_a_slim_non_root_image(
    deployable: Deployable,
) -> None:
    text = (DEPLOY / "images" / f"{deployable.name}.Containerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)
    build, runtime = stages[-2], stages[-1]
    # The public base by default; `make images` passes its Debian-built one.
    assert re.search(r"^ARG PYTHON_IMAGE=\S*python:3\.11[.\w-]*slim", text, re.MULTILINE)
    assert build.startswith("${PYTHON_IMAGE} AS build") and runtime.startswith("${PYTHON_IMAGE}")
    # Only locked, hash-checked wheels from the context; nothing fetched during the build.
    assert "--no-index" in build and "--require-hashes -r /src/requirements.txt" in build
    image = images.BY_NAME[deployable.name]
    assert image.package == deployable.pyproject["project"]["name"]
    assert set(image.workspace_packages) == {"cabinet-common", image.package}
    # Debian packages the service needs at run time (receipts reads with Tesseract) are
    # installed from apt while building; no Python installer is left in the final image.
    apt = re.findall(r"apt-get install[^\n]*?((?:\s+[a-z][\w.+-]*)+)\s*\\?$", runtime, re.MULTILINE)
    debian = {name for names in apt for name in names.split() if not name.startswith("-")}
    assert debian == APT_PACKAGES.get(deployable.name, set())
    without_apt = re.sub(r"apt-get install[^\n]*", "", re.sub(r"#.*", "", runtime))
    code = without_apt.split()
    assert "uv" not in code and "install" not in code, "no installer in the final image"
    if debian:
        assert "rm -rf /var/lib/apt/lists/*" in runtime, "apt's lists are not kept"
    (entrypoint,) = re.findall(r'^ENTRYPOINT \["([\w-]+)"\]$', runtime, re.MULTILINE)
    assert entrypoint in deployable.pyproject["project"]["scripts"]
    (uid,) = re.findall(r"^USER (\d+):\d+$", runtime, re.MULTILINE)
    objects = render("overlays/production")
    pod = of_kind(objects, "Deployment")[deployable.deployment]["spec"]["template"]["spec"]
    assert int(uid) == pod["securityContext"]["runAsUser"] != 0
    exposed = re.findall(r"^EXPOSE (\d+)$", runtime, re.MULTILINE)
    ports = [p["containerPort"] for p in pod["containers"][0].get("ports", [])]
    assert [int(port) for port in exposed] == ports


def owner(obj: Manifest) -> str | None:
    name: str | None = obj["metadata"].get("labels", {}).get("app.kubernetes.io/name")
    return name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_deployable_is_applied_on_its_own(overlay: str) -> None:
    """overlays/<environment>/<deployable>/ renders that deployable's objects and no other."""
    environment = K8S / "overlays" / overlay
    assert {d.name for d in DEPLOYABLES} <= set(units(environment))
    for deployable in DEPLOYABLES:
        objects = render(f"overlays/{overlay}/{deployable.name}")
        assert {owner(obj) for obj in objects} == {deployable.deployment}, deployable.name
        config = of_kind(objects, "ConfigMap")
        assert len(config) == 1, "its own settings, in its own (hashed) ConfigMap"
    # Shared settings are one object, referenced by name, in a unit no team's release applies.
    (shared,) = [obj for obj in render(f"overlays/{overlay}/shared") if obj["kind"] == "ConfigMap"]
    assert shared["metadata"]["name"] == "cabinet-shared"


def set_tag(kustomization: Path, image: str, tag: str) -> None:
    config = yaml.safe_load(kustomization.read_text())
    (entry,) = [entry for entry in config["images"] if entry["name"] == image]
    entry["newTag"] = tag
    kustomization.write_text(yaml.safe_dump(config))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_release_of_one_deployable_changes_no_other(overlay: str, tmp_path: Path) -> None:
    """Bump one deployable's tag in a copy of deploy/k8s: its Deployment gets the new image,
    and every other overlay of the environment renders exactly as before."""
    before = {
        unit: build(K8S / "overlays" / overlay / unit) for unit in units(K8S / "overlays" / overlay)
    }
    for deployable in DEPLOYABLES:
        copy = tmp_path / deployable.name
        shutil.copytree(K8S, copy)
        environment = copy / "overlays" / overlay
        set_tag(
            environment / deployable.name / "kustomization.yaml", deployable.deployment, "9.9.9"
        )
        for unit, objects in before.items():
            after = build(environment / unit)
            if unit != deployable.name:
                assert after == objects, f"releasing {deployable.name} changed {unit}"
                continue
            deployment = of_kind(after, "Deployment")[deployable.deployment]
            for container in containers(deployment):
                assert (
                    container["image"].endswith(f"/{deployable.deployment}:9.9.9")
                    or container["image"] == f"{deployable.deployment}:9.9.9"
                ), container["image"]


def test_topics_are_declared_for_every_event_and_its_dead_letters() -> None:
    objects = render("overlays/production/topics")
    topics = {obj["spec"]["topicName"]: obj for obj in objects if obj["kind"] == "KafkaTopic"}
    expected = {name for topic in Topic for name in (topic.value, topic.dead_letter)}
    assert set(topics) == expected
    for name, topic in topics.items():
        spec = topic["spec"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "cabinet-kafka", name
        assert spec["partitions"] == CommonSettings().kafka_partitions, (
            f"{name}: keyed order needs the same partitions"
        )
        assert spec["replicas"] > spec["config"]["min.insync.replicas"] >= 2, name
        assert int(spec["config"]["retention.ms"]) >= 7 * 24 * 3600 * 1000, name
    assert {obj["metadata"]["namespace"] for obj in objects} == {"kafka"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_worker_sets_up_its_temporal_namespace_first(overlay: str) -> None:
    """Namespace and search attributes come from the worker's own release (an init
    container running cabinet-temporal-setup), with the worker's address and namespace."""
    objects = render(f"overlays/{overlay}")
    pod = of_kind(objects, "Deployment")["cabinet-worker"]["spec"]["template"]["spec"]
    (setup,) = pod["initContainers"]
    (worker,) = pod["containers"]
    assert setup["command"] == ["cabinet-temporal-setup"]
    assert setup["image"] == worker["image"]
    setup_env, worker_env = resolve_env(setup, objects), resolve_env(worker, objects)
    for var in ("CABINET_TEMPORAL_ADDRESS", "CABINET_TEMPORAL_NAMESPACE"):
        assert setup_env[var] == worker_env[var], var
    # Worker versioning: the build id is the image tag (set from it by the overlay).
    assert worker_env["CABINET_WORKER_BUILD_ID"].value == worker["image"].rpartition(":")[2]


def test_no_secret_material_in_deploy_files() -> None:
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text()
            for pattern in SECRET_MATERIAL:
                assert not pattern.search(text), f"{path.relative_to(ROOT)}: {pattern.pattern}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_database_is_migrated_before_its_service_starts(overlay: str) -> None:
    """A Deployment whose process owns a database runs `cabinet-<name> migrate` from its own
    image, on the same database, in an init container."""
    objects = render(f"overlays/{overlay}")
    for name, deployment in of_kind(objects, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        migrates = [c for c in init_containers(deployment) if c["name"] == "migrate"]
        if "CABINET_DATABASE_URL" not in BY_DEPLOYMENT[name].env:
            assert not migrates, name
            continue
        (migrate,) = migrates
        assert migrate["command"] == [name] and migrate["args"] == ["migrate"], name
        assert migrate["image"] == container["image"], name
        database = resolve_env(container, objects)["CABINET_DATABASE_URL"]
        assert resolve_env(migrate, objects) == {"CABINET_DATABASE_URL": database}, name


# Network policies (issue 11). Peers outside Cabinet, by the label their pods carry
# (app.kubernetes.io/name, or k8s-app for the cluster's DNS).
DNS_PEER = "kube-dns"
PROMETHEUS = "prometheus"
ANYONE = "*"  # an ingress rule with no `from`: web's pages, behind the ingress controller


def peer_name(peer: Manifest) -> str:
    assert "ipBlock" not in peer, f"an address range is not an edge Cabinet uses: {peer}"
    labels = peer["podSelector"]["matchLabels"]
    name: str = labels.get("app.kubernetes.io/name") or labels["k8s-app"]
    if "namespaceSelector" not in peer:
        assert name.startswith("cabinet-"), f"{name}: outside Cabinet, name its namespace"
    return name


def resolve_port(port: str | int, pod: Manifest) -> int:
    if isinstance(port, int):
        return port
    (number,) = [
        p["containerPort"]
        for container in pod["spec"]["containers"]
        for p in container.get("ports", [])
        if p["name"] == port
    ]
    return int(number)


def policy_edges(
    objects: tuple[Manifest, ...],
) -> tuple[set[tuple[str, str, str | int]], set[tuple[str, str, str | int]]]:
    """(egress, ingress) as (pod's deployment, peer, port) for every rule of every policy
    that selects one Cabinet pod; every rule names its peers and its ports."""
    deployments = of_kind(objects, "Deployment")
    egress: set[tuple[str, str, str | int]] = set()
    ingress: set[tuple[str, str, str | int]] = set()
    for policy_name, policy in of_kind(objects, "NetworkPolicy").items():
        spec = policy["spec"]
        selector = spec["podSelector"].get("matchLabels", {})
        if not selector:  # the default deny: no rules at all
            assert not spec.get("ingress") and not spec.get("egress"), policy_name
            continue
        (name,) = [
            n
            for n, d in deployments.items()
            if selects(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        for direction, key, edges in (
            ("egress", "to", egress),
            ("ingress", "from", ingress),
        ):
            for rule in spec.get(direction, []):
                assert rule.get("ports"), f"{policy_name}: a {direction} rule on every port"
                peers = [peer_name(peer) for peer in rule[key]] if key in rule else [ANYONE]
                assert peers, f"{policy_name}: an empty peer list allows everyone"
                if ANYONE in peers:
                    assert direction == "ingress" and name == "cabinet-web", policy_name
                for peer in peers:
                    for port in rule["ports"]:
                        assert port.get("protocol", "TCP") in {"TCP", "UDP"}
                        edges.add((name, peer, port["port"]))
    return egress, ingress


def address_port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_under_a_default_deny(overlay: str) -> None:
    """The namespace denies all traffic in and out, and each deployable's own overlay also
    brings a policy for both directions, so its pods are never open even applied alone."""
    (deny,) = [
        obj for obj in render(f"overlays/{overlay}/shared") if obj["kind"] == "NetworkPolicy"
    ]
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert not deny["spec"].get("ingress") and not deny["spec"].get("egress")
    for deployable in DEPLOYABLES:
        objects = render(f"overlays/{overlay}/{deployable.name}")
        labels = of_kind(objects, "Deployment")[deployable.deployment]["spec"]["template"][
            "metadata"
        ]["labels"]
        (policy,) = of_kind(objects, "NetworkPolicy").values()
        assert selects(policy["spec"]["podSelector"]["matchLabels"], labels), deployable.name
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}, deployable.name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_allow_exactly_the_edges_used(overlay: str) -> None:
    """Every edge the processes use, from their settings, and nothing else: web to the APIs
    it calls (on the port their Service forwards to), Kafka, Temporal and PostgreSQL for
    whoever is configured with them, DNS, Prometheus scraping each metrics port."""
    objects = render(f"overlays/{overlay}")
    deployments = of_kind(objects, "Deployment")
    services = of_kind(objects, "Service")
    expected_egress: set[tuple[str, str, str | int]] = set()
    expected_ingress: set[tuple[str, str, str | int]] = set()
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        env: dict[str, EnvValue] = {}
        for container in containers(deployment):
            env |= resolve_env(container, objects)
        expected_egress |= {(name, DNS_PEER, 53)}
        if "CABINET_DATABASE_URL" in env:
            expected_egress.add((name, "postgresql", 5432))
        if "CABINET_KAFKA_BOOTSTRAP_SERVERS" in env:
            bootstrap = env["CABINET_KAFKA_BOOTSTRAP_SERVERS"].value or ""
            for server in bootstrap.split(","):
                expected_egress.add((name, "kafka", address_port(server)))
        if "CABINET_TEMPORAL_ADDRESS" in env:
            address = env["CABINET_TEMPORAL_ADDRESS"].value or ""
            expected_egress.add((name, "temporal", address_port(address)))
        # Cabinet's own APIs, by the Service a *_URL names.
        for var, value in env.items():
            if not var.endswith("_URL") or var == "CABINET_DATABASE_URL":
                continue
            host = urlsplit(value.value or "").hostname
            if host in services:
                (port,) = services[host]["spec"]["ports"]
                expected_egress.add((name, host, port["targetPort"]))
                expected_ingress.add((host, name, port["targetPort"]))
        ports = [p["name"] for c in pod["containers"] for p in c.get("ports", [])]
        for port in ports:
            if port in METRICS_PORTS or port == "http":  # HTTP services serve /metrics
                expected_ingress.add((name, PROMETHEUS, port))
        if name == "cabinet-web":
            expected_ingress.add((name, ANYONE, "http"))
    egress, ingress = policy_edges(objects)
    assert egress == expected_egress
    assert ingress == expected_ingress
    # Both ends of an edge between Cabinet's pods agree, and the port is one the
    # destination pod serves (the one its Service forwards to).
    for source, destination, port in egress:
        if destination in deployments:
            assert (destination, source, port) in ingress
            resolve_port(port, deployments[destination]["spec"]["template"])
    for destination, source, port in ingress:
        resolve_port(port, deployments[destination]["spec"]["template"])
        if source in deployments:
            assert (source, destination, port) in egress


def test_kafka_users_hold_exactly_the_acls_of_the_topic_owner_map() -> None:
    """Production's principals (Strimzi KafkaUsers, SCRAM-SHA-512) and their ACLs are
    cabinet_common.messaging.acls, which the local and test brokers get too."""
    objects = render("overlays/production/topics")
    users = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "KafkaUser"}
    granted = set()
    for name, user in users.items():
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "cabinet-kafka", name
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}, name
        assert user["spec"]["authorization"]["type"] == "simple", name
        for rule in user["spec"]["authorization"]["acls"]:
            resource = rule["resource"]
            assert resource["patternType"] == "literal", (name, resource)
            assert rule.get("type", "allow") == "allow", (name, rule)
            for operation in rule["operations"]:
                granted.add(Acl(name, resource["type"], resource["name"], operation))
    assert granted == set(acls())
    # Each deployable's Deployment signs in as its KafkaUser.
    for deployable in DEPLOYABLES:
        deployment = of_kind(render(f"overlays/production/{deployable.name}"), "Deployment")
        (container,) = deployment[deployable.deployment]["spec"]["template"]["spec"]["containers"]
        env = {var["name"]: var.get("value") for var in container["env"]}
        if "CABINET_KAFKA_BOOTSTRAP_SERVERS" in env:
            assert env["CABINET_KAFKA_USERNAME"] in users, deployable.name
        else:
            assert "CABINET_KAFKA_USERNAME" not in env, deployable.name
