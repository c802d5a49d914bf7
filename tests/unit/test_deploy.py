"""deploy/k8s and compose.yaml's `scale` profile, checked statically (no cluster runs in CI).

They must agree with the Containerfile, proxy_config.yaml, the documented settings (.env.example,
docs/configuration.md's tables) and each other; docs/deploy.md describes them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from agentllm.config import DEFAULT_MASTER_KEY
from tests.unit.test_containers import (
    COMPOSE,
    PROXY,
    container_port,
    env_example_names,
    final_stage,
    instruction,
)

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
MANIFESTS = {
    name: [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    for name in KUSTOMIZATION["resources"]
}
RESOURCES = {(d["kind"], d["metadata"]["name"]): d for docs in MANIFESTS.values() for d in docs}
DEPLOYMENT = RESOURCES["Deployment", "agentllm"]
POD = DEPLOYMENT["spec"]["template"]["spec"]
(CONTAINER,) = POD["containers"]
SECRET = RESOURCES["Secret", "agentllm"]
POSTGRES = RESOURCES["StatefulSet", "agentllm-postgres"]
LIVENESS, READINESS = "/health/liveliness", "/health/readiness"

SCALE = {name: s for name, s in COMPOSE["services"].items() if "scale" in s.get("profiles", [])}
SCALE_PROXIES = {name: s for name, s in SCALE.items() if s.get("build") == PROXY["build"]}


def documented_names() -> set[str]:
    """.env.example's names and those of docs/configuration.md's tables (first column)."""
    page = (ROOT / "docs" / "configuration.md").read_text()
    cells = [line.split("|")[1] for line in page.splitlines() if line.startswith("| `")]
    return env_example_names() | {n for cell in cells for n in re.findall(r"`([A-Z0-9_]+)`", cell)}


def pod_env(container: dict) -> dict[str, object]:
    """Every variable a container gets: ``env`` entries, and ConfigMap data through ``envFrom``."""
    env: dict[str, object] = {}
    for source in container.get("envFrom", []):
        env.update(RESOURCES["ConfigMap", source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def secret_value(ref: object) -> str:
    ref = ref["secretKeyRef"]  # type: ignore[index]
    return RESOURCES["Secret", ref["name"]]["stringData"][ref["key"]]


def named_port(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return number


def probes(container: dict) -> dict[str, dict]:
    kinds = ("startupProbe", "livenessProbe", "readinessProbe")
    return {kind: container[kind] for kind in kinds if kind in container}


def test_kustomization_lists_every_manifest_and_each_parses_to_resources():
    listed = KUSTOMIZATION["resources"]
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed) == sorted(on_disk), "list every manifest in kustomization.yaml, once"
    for name, docs in MANIFESTS.items():
        assert docs, name
        assert len({doc["kind"] for doc in docs}) == 1, f"{name}: one kind per file"
        for doc in docs:
            assert {"apiVersion", "kind", "metadata"} <= set(doc), name


def test_proxy_runs_two_or_more_replicas_of_the_containerfile_image():
    assert DEPLOYMENT["spec"]["replicas"] >= 2
    assert CONTAINER["image"].split(":")[0] in {i["name"] for i in KUSTOMIZATION["images"]}
    assert CONTAINER["command"] == ["agentllm"]
    assert CONTAINER["args"][0] == "serve"  # the CLI's command that runs the proxy
    selector = DEPLOYMENT["spec"]["selector"]["matchLabels"]
    assert selector.items() <= DEPLOYMENT["spec"]["template"]["metadata"]["labels"].items()
    service = RESOURCES["Service", "agentllm"]
    assert service["spec"]["selector"] == selector
    assert service["spec"].get("sessionAffinity", "None") == "None"  # any replica, any turn


def test_ports_agree_between_containerfile_container_service_probes_and_settings():
    port = container_port()
    (exposed,) = CONTAINER["ports"]
    assert exposed["containerPort"] == port
    (service_port,) = RESOURCES["Service", "agentllm"]["spec"]["ports"]
    assert service_port["port"] == port
    assert named_port(CONTAINER, service_port["targetPort"]) == port
    for kind, probe in probes(CONTAINER).items():
        assert named_port(CONTAINER, probe["httpGet"]["port"]) == port, kind
    env = pod_env(CONTAINER)
    assert env["PORT"] == str(port)
    assert env["HOST"] == "0.0.0.0"  # reachable from the Service, not only inside the pod


def test_probes_use_litellm_health_routes():
    found = probes(CONTAINER)
    assert found["livenessProbe"]["httpGet"]["path"] == LIVENESS
    assert found["readinessProbe"]["httpGet"]["path"] == READINESS
    assert {p["httpGet"]["path"] for p in found.values()} <= {LIVENESS, READINESS}
    # The same route the Containerfile's HEALTHCHECK uses.
    (healthcheck,) = instruction("HEALTHCHECK")
    assert LIVENESS in healthcheck


def test_resources_are_requested_and_memory_is_bounded():
    resources = CONTAINER["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_proxy_config_is_mounted_from_a_configmap_equal_to_proxy_config_yaml():
    args = CONTAINER["args"]
    config_path = args[args.index("--config") + 1]
    mount_dir, key = config_path.rsplit("/", 1)
    (mount,) = [m for m in CONTAINER["volumeMounts"] if m["mountPath"] == mount_dir]
    (volume,) = [v for v in POD["volumes"] if v["name"] == mount["name"]]
    configmap = RESOURCES["ConfigMap", volume["configMap"]["name"]]
    repository = yaml.safe_load((ROOT / "proxy_config.yaml").read_text())
    assert yaml.safe_load(configmap["data"][key]) == repository


def test_runtime_config_directory_is_writable_by_the_pod_user():
    # agentllm writes tmp/proxy_config.runtime.yaml under its working directory: the image's
    # WORKDIR, where the Containerfile makes tmp/ for its user.
    (workdir,) = instruction("WORKDIR")
    assert "workingDir" not in CONTAINER
    assert f"chown agentllm:agentllm /data {workdir}/tmp" in final_stage()
    uid = re.search(r"useradd .*--uid (\d+) agentllm", final_stage())
    assert uid
    assert POD["securityContext"]["runAsUser"] == int(uid[1])
    assert POD["securityContext"]["runAsNonRoot"] is True
    for mount in CONTAINER["volumeMounts"]:
        assert not workdir.startswith(mount["mountPath"]), f"{mount} hides the image's {workdir}"


def test_proxy_env_names_are_documented_and_cover_proxy_config():
    env = pod_env(CONTAINER)
    undocumented = set(env) - documented_names()
    where = ".env.example or docs/configuration.md"
    assert not undocumented, f"document in {where}: {sorted(undocumented)}"
    config = (ROOT / "proxy_config.yaml").read_text()
    assert set(re.findall(r"os\.environ/([A-Z0-9_]+)", config)) <= set(env)


@pytest.mark.parametrize("name", ["LITELLM_MASTER_KEY", "GEMINI_API_KEY", "AGENTLLM_DB_URL"])
def test_credentials_come_from_the_secret(name):
    (item,) = [e for e in CONTAINER["env"] if e["name"] == name]
    assert item["valueFrom"]["secretKeyRef"]["name"] == "agentllm"
    assert secret_value(item["valueFrom"])


def test_secret_holds_placeholders_only():
    assert "data" not in SECRET, "stringData only: base64 would hide a real key from this test"
    real_looking = re.compile(r"AIza[0-9A-Za-z_-]{30,}|sk-[A-Za-z0-9]{20,}|ghp_|xox[bp]-")
    for name, value in SECRET["stringData"].items():
        assert "REPLACE_ME" in value, f"{name}: mark the placeholder REPLACE_ME"
        assert not real_looking.search(value), name
        assert DEFAULT_MASTER_KEY not in value, name


def test_db_url_names_the_postgres_statefulset():
    url = urlsplit(secret_value(pod_env(CONTAINER)["AGENTLLM_DB_URL"]))
    (postgres,) = POSTGRES["spec"]["template"]["spec"]["containers"]
    env = pod_env(postgres)
    assert url.scheme == "postgresql"
    assert url.hostname == POSTGRES["spec"]["serviceName"]
    service = RESOURCES["Service", url.hostname]
    assert service["spec"]["selector"] == POSTGRES["spec"]["selector"]["matchLabels"]
    (port,) = service["spec"]["ports"]
    assert url.port == port["port"] == named_port(postgres, port["targetPort"])
    assert url.username == env["POSTGRES_USER"]
    assert url.password == secret_value(env["POSTGRES_PASSWORD"])
    assert url.path == f"/{env['POSTGRES_DB']}"


def test_postgres_is_the_official_image_on_a_volume_claim():
    (postgres,) = POSTGRES["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"postgres:\d+", postgres["image"])
    (claim,) = POSTGRES["spec"]["volumeClaimTemplates"]
    (mount,) = postgres["volumeMounts"]
    assert mount["name"] == claim["metadata"]["name"]
    assert pod_env(postgres)["PGDATA"].startswith(mount["mountPath"] + "/")
    assert "pg_isready" in postgres["readinessProbe"]["exec"]["command"]


def test_compose_scale_profile_runs_two_proxies_on_its_postgres():
    assert len(SCALE_PROXIES) >= 2
    (postgres_name,) = set(SCALE) - set(SCALE_PROXIES)
    postgres = SCALE[postgres_name]
    assert postgres["image"] == POSTGRES["spec"]["template"]["spec"]["containers"][0]["image"]
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert postgres["volumes"][0].split(":")[0] in COMPOSE["volumes"]
    for name, proxy in SCALE_PROXIES.items():
        url = urlsplit(proxy["environment"]["AGENTLLM_DB_URL"])
        assert url.scheme == "postgresql", name
        assert url.hostname == postgres_name, name
        assert url.port == 5432, name
        assert url.username == postgres["environment"]["POSTGRES_USER"], name
        assert url.password == postgres["environment"]["POSTGRES_PASSWORD"], name
        assert url.path == f"/{postgres['environment']['POSTGRES_DB']}", name
        assert proxy["depends_on"][postgres_name]["condition"] == "service_healthy", name


def test_compose_scale_proxies_are_the_default_proxy_on_other_loopback_ports():
    published = [PROXY["ports"][0]]
    master_key = PROXY["environment"]["LITELLM_MASTER_KEY"]
    for name, proxy in SCALE_PROXIES.items():
        assert proxy["image"] == PROXY["image"], name
        assert proxy["healthcheck"] == PROXY["healthcheck"], name
        assert set(proxy["environment"]) <= set(PROXY["environment"]), name
        assert proxy["environment"]["LITELLM_MASTER_KEY"] == master_key, name
        (port,) = proxy["ports"]
        assert port.startswith("127.0.0.1:") and port.endswith(f":{container_port()}"), name
        published.append(port)
    assert len(set(published)) == len(published), "each proxy needs its own host port"


def test_docs_name_the_files_and_commands_they_describe():
    docs = (ROOT / "docs" / "deploy.md").read_text()
    assert "kubectl apply --dry-run=client -k deploy/k8s" in docs
    assert "docker compose --profile scale up" in docs
    assert "make serve WORKERS=2" in docs
    for name in [*MANIFESTS, *SCALE]:
        assert name in docs, f"docs/deploy.md does not mention {name}"
