"""Developer sessions, run in the project environment that ``uv sync`` made (``make`` does it)."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["test", "integration"]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@nox.session
def test(session: nox.Session) -> None:
    """Unit tests: pure translation, registry, offline model (seconds; they start no process)."""
    session.run("python", "-m", "pytest", "tests/unit", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Integration tests: the real proxy, agent, SQLite/PostgreSQL and openai client."""
    session.run("python", "-m", "pytest", "tests/integration", *session.posargs)


@nox.session
def proxy(session: nox.Session) -> None:
    """Start the proxy (same as ``make serve``)."""
    session.run("agentllm", "serve", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark the agent path against LiteLLM's own floor; writes docs/BENCHMARKS.md."""
    session.run("python", "-m", "benchmarks.run", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, mypy on src."""
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("mypy")


@nox.session
def format(session: nox.Session) -> None:
    """Apply ruff's fixes and formatting."""
    session.run("ruff", "check", "--fix", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "src", "tests", "benchmarks", "noxfile.py")


# Open WebUI in front of the proxy (docs/open-webui.md) -------------------------------------------

PLAYWRIGHT = "playwright==1.65.2"
COMPOSE_HINT = (
    "Neither `docker compose` nor `podman compose` (nor podman-compose) is available. Install "
    "Docker (with the compose plugin) or Podman, or use the no-container path: `make ui`"
)


def _uv() -> str:
    """uv itself: `uv run` tells its children where it is; else PATH, else make's private copy."""
    import shutil
    from pathlib import Path

    found = os.environ.get("UV") or shutil.which("uv")
    private = Path(".tools/bin/uv")
    return found or (str(private.resolve()) if private.exists() else "uv")


def _install_open_webui(session: nox.Session) -> str:
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tests.e2e import openwebui

    session.log(f"installing {openwebui.OPEN_WEBUI_REQUIREMENT} (without torch) into .ui-venv/")
    return str(openwebui.install(_uv()))


def _compose(session: nox.Session) -> list[str]:
    """The compose command of whichever container engine is installed."""
    import shutil
    import subprocess

    candidates = [["docker", "compose"], ["podman", "compose"], ["podman-compose"]]
    for command in candidates:
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return command
    session.error(COMPOSE_HINT)
    raise AssertionError("unreachable")


def _proxy_port() -> str:
    return os.environ.get("PORT", "").strip() or "8890"


@nox.session
def ui(session: nox.Session) -> None:
    """Open WebUI without containers on http://127.0.0.1:3000, in front of `make serve`."""
    import urllib.request
    from pathlib import Path

    from agentllm.config import settings

    executable = _install_open_webui(session)
    from tests.e2e import openwebui

    config = settings()  # reads .env like the proxy does, so the key and port agree with it
    proxy_url = os.environ.get("LITELLM_PROXY_URL") or f"http://127.0.0.1:{config.port}/v1"
    ui_port = os.environ.get("UI_PORT", "3000")
    session.log(
        f"Open WebUI on http://127.0.0.1:{ui_port} talking to {proxy_url}. "
        "The first account you create becomes the admin."
    )
    try:
        health = proxy_url.removesuffix("/v1") + "/health/liveliness"
        urllib.request.urlopen(health, timeout=3).close()
    except OSError:
        session.warn(f"no proxy answers at {proxy_url} yet: start it with `make serve`")
    key = config.master_key.get_secret_value()
    env = openwebui.offline_env(proxy_url, key, Path("tmp/open-webui").resolve())
    session.run(
        executable, "serve", "--host", "127.0.0.1", "--port", ui_port, env=env, external=True
    )


@nox.session
def e2e(session: nox.Session) -> None:
    """Browser test: real Open WebUI + real proxy + headless Chromium (needs `chromium`)."""
    import shutil

    if not (os.environ.get("AGENTLLM_CHROMIUM") or shutil.which("chromium")):
        session.error(
            "Chromium is missing: `apt-get install chromium` (Debian) or AGENTLLM_CHROMIUM"
        )
    _install_open_webui(session)
    session.run(
        _uv(),
        "run",
        "--frozen",
        "--with",
        PLAYWRIGHT,
        "python",
        "-m",
        "pytest",
        "tests/e2e",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        external=True,
    )


@nox.session
def dev_local_proxy(session: nox.Session) -> None:
    """Open WebUI in a container on http://localhost:3000, using the proxy from `nox -s proxy`."""
    compose = _compose(session)
    env = {"LITELLM_PROXY_URL": f"http://host.docker.internal:{_proxy_port()}/v1"}
    session.run(*compose, "up", "-d", "--no-deps", "open-webui", env=env, external=True)
    session.log(
        "Open WebUI: http://localhost:3000 -> proxy at "
        f"{env['LITELLM_PROXY_URL']}. On Linux the proxy must listen where containers reach it: "
        "`HOST=0.0.0.0 uv run nox -s proxy` (Docker Desktop reaches 127.0.0.1 by itself)."
    )


@nox.session
def dev_full(session: nox.Session) -> None:
    """Proxy and Open WebUI both in containers; UI on http://localhost:3000."""
    compose = _compose(session)
    env = {"LITELLM_PROXY_URL": "http://litellm-proxy:8890/v1"}
    session.run(*compose, "up", "-d", "--build", env=env, external=True)
    session.log("Open WebUI: http://localhost:3000, proxy: http://localhost:8890/v1")


@nox.session
def dev_logs(session: nox.Session) -> None:
    """Follow the containers' logs: `nox -s dev_logs -- open-webui` for one service."""
    session.run(*_compose(session), "logs", "-f", *session.posargs, external=True)


@nox.session
def dev_stop(session: nox.Session) -> None:
    """Stop and remove the containers; the volumes (conversations, Open WebUI data) stay."""
    session.run(*_compose(session), "down", external=True)


@nox.session
def dev_clean(session: nox.Session) -> None:
    """Remove the containers and their volumes: every conversation and Open WebUI account."""
    session.run(*_compose(session), "down", "--volumes", "--remove-orphans", external=True)
