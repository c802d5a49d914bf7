"""compose.yaml and Containerfile, checked statically (no container engine runs in CI).

They must agree with each other, with proxy_config.yaml, .env.example and the no-container path
(tests/e2e/openwebui.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from agentllm.config import DEFAULT_MASTER_KEY
from tests.e2e import openwebui

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
CONTAINERFILE = (ROOT / "Containerfile").read_text()
PROXY = COMPOSE["services"]["litellm-proxy"]
UI = COMPOSE["services"]["open-webui"]
INTERPOLATION = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(:-(?P<default>[^}]*))?\}$")


def interpolated(value: str) -> tuple[str, str]:
    """``${NAME:-default}`` -> (NAME, default)."""
    match = INTERPOLATION.match(value)
    assert match, f"{value!r} is not ${{NAME:-default}}"
    return match["name"], match["default"] or ""


def env_example_names() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z0-9_]+=", line)}


def final_stage() -> str:
    return CONTAINERFILE.rsplit("\nFROM ", 1)[1]


def instruction(name: str) -> list[str]:
    """Arguments of every ``name`` instruction of the final stage (continuation lines joined)."""
    text = final_stage().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(name + " ")]


def container_port() -> int:
    (exposed,) = instruction("EXPOSE")
    return int(exposed)


def test_compose_has_the_proxy_and_open_webui_and_named_volumes():
    # Services with a profile (`scale`, tests/unit/test_deploy.py) start only when it is asked for.
    default = {name: s for name, s in COMPOSE["services"].items() if not s.get("profiles")}
    assert set(default) == {"litellm-proxy", "open-webui"}
    default_volumes = {m.split(":")[0] for s in default.values() for m in s["volumes"]}
    assert default_volumes == {"agno-data", "open-webui-data"}
    for service in COMPOSE["services"].values():
        for mount in service.get("volumes", []):
            assert mount.split(":")[0] in COMPOSE["volumes"], mount


def test_proxy_is_built_from_the_containerfile():
    assert PROXY["build"] == {"context": ".", "dockerfile": "Containerfile"}


def test_every_setting_in_env_example_reaches_the_proxy_container_and_nothing_else():
    missing = env_example_names() - set(PROXY["environment"])
    extra = set(PROXY["environment"]) - env_example_names()
    assert not missing, f"add to litellm-proxy's environment in compose.yaml: {sorted(missing)}"
    assert not extra, f"document in .env.example: {sorted(extra)}"
    for name, value in PROXY["environment"].items():
        assert interpolated(value)[0] == name


def test_every_variable_proxy_config_reads_is_passed_to_the_proxy_container():
    config = (ROOT / "proxy_config.yaml").read_text()
    needed = set(re.findall(r"os\.environ/([A-Z0-9_]+)", config))
    assert needed
    assert needed <= set(PROXY["environment"])


def test_master_key_defaults_agree_between_proxy_open_webui_and_code():
    assert interpolated(PROXY["environment"]["LITELLM_MASTER_KEY"]) == (
        "LITELLM_MASTER_KEY",
        DEFAULT_MASTER_KEY,
    )
    assert interpolated(UI["environment"]["OPENAI_API_KEY"]) == (
        "LITELLM_MASTER_KEY",
        DEFAULT_MASTER_KEY,
    )


def test_conversations_live_in_the_agno_volume():
    _, default_url = interpolated(PROXY["environment"]["AGENTLLM_DB_URL"])
    mount = next(m for m in PROXY["volumes"] if m.startswith("agno-data:"))
    data_dir = mount.split(":")[1]
    assert default_url.startswith(f"sqlite:///{data_dir}/")
    assert f"AGENTLLM_DB_URL={default_url}" in final_stage().replace(" ", "")
    assert f'VOLUME ["{data_dir}"]' in final_stage()


def test_ports_agree_and_are_published_on_loopback_only():
    port = container_port()
    assert PROXY["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert UI["ports"] == ["127.0.0.1:3000:8080"]
    (healthcheck,) = instruction("HEALTHCHECK")
    assert f"http://127.0.0.1:{port}/health/liveliness" in healthcheck
    assert f"http://127.0.0.1:{port}/health/liveliness" in PROXY["healthcheck"]["test"][-1]
    (cmd,) = instruction("CMD")
    assert json.loads(cmd)[:2] == ["agentllm", "serve"]
    assert json.loads(cmd)[-2:] == ["--port", str(port)]


def test_open_webui_reaches_the_proxy_by_service_name_unless_told_otherwise():
    name, default = interpolated(UI["environment"]["OPENAI_API_BASE_URL"])
    assert name == "LITELLM_PROXY_URL"
    assert default == f"http://litellm-proxy:{container_port()}/v1"
    assert "host.docker.internal:host-gateway" in UI["extra_hosts"]
    assert UI["depends_on"]["litellm-proxy"]["condition"] == "service_healthy"


def test_nox_sessions_choose_the_proxy_url_for_each_mode():
    noxfile = (ROOT / "noxfile.py").read_text()
    assert '"http://litellm-proxy:8890/v1"' in noxfile
    assert "http://host.docker.internal:{_proxy_port()}/v1" in noxfile
    for session in ("dev_full", "dev_local_proxy", "dev_logs", "dev_stop", "dev_clean", "ui"):
        assert f"def {session}(session" in noxfile


@pytest.mark.parametrize(
    "name", ["ENABLE_FORWARD_USER_INFO_HEADERS", "ENABLE_OLLAMA_API", "DEFAULT_MODEL_METADATA"]
)
def test_open_webui_container_is_configured_like_the_no_container_path(name, tmp_path):
    offline = openwebui.offline_env("http://127.0.0.1:8890/v1", "key", tmp_path)
    if name == "DEFAULT_MODEL_METADATA":
        assert json.loads(UI["environment"][name]) == json.loads(offline[name])
    else:
        assert UI["environment"][name] == offline[name]


def test_builtin_tools_are_off_for_the_proxy_models():
    metadata = json.loads(UI["environment"]["DEFAULT_MODEL_METADATA"])
    assert metadata["capabilities"]["builtin_tools"] is False


def test_open_webui_image_is_the_version_the_tests_run():
    version = openwebui.OPEN_WEBUI_REQUIREMENT.split("==")[1]
    assert UI["image"].endswith(f":v{version}")


def test_containerfile_is_slim_non_root_uv_based_with_a_healthcheck():
    stages = re.findall(r"^FROM (\S+)", CONTAINERFILE, flags=re.MULTILINE)
    assert all(image.endswith("-slim") for image in stages)
    (user,) = instruction("USER")
    assert user not in {"root", "0"}
    assert "uv sync --frozen --no-dev" in CONTAINERFILE
    assert instruction("HEALTHCHECK")
    assert "COPY proxy_config.yaml" in final_stage()


def test_the_image_has_git_for_the_release_tools():
    # The release manager's tools run the git binary (docs/release-tools.md).
    installs = [r for r in instruction("RUN") if "apt-get install" in r]
    assert installs and "git" in installs[0].split() and "--no-install-recommends" in installs[0]
    assert "rm -rf /var/lib/apt/lists/*" in installs[0]


def test_dockerignore_keeps_secrets_and_local_environments_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".ui-venv", "tmp", ".git"} <= ignored
