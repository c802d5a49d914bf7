"""Open WebUI without containers: its own virtualenv, an offline environment, a start command.

Used by the nox sessions ``ui`` and ``e2e`` and by the end-to-end tests, so that what a developer
runs and what the tests run are the same. Measurements and reasons: docs/open-webui.md.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI_VENV = ROOT / ".ui-venv"
OPEN_WEBUI_REQUIREMENT = "open-webui==0.12.4"
# PyTorch (and the CUDA libraries it brings) is ~5.5 GB of the ~7.4 GB a plain install takes.
# Open WebUI imports it only for local embedding, reranking and speech models, which an offline
# front-end for our proxy does not use (embeddings are set to the OpenAI engine).
EXCLUDED_PACKAGES = ("torch",)
# Open WebUI's built-in tools (~36 tool definitions, ~25 KB per request) are off for every model
# it lists from the proxy: the agents use their own tools and ignore client tools anyway.
DEFAULT_MODEL_METADATA = {"capabilities": {"builtin_tools": False}}


def open_webui_bin(venv: Path = UI_VENV) -> Path:
    """The ``open-webui`` command inside the UI virtualenv."""
    return venv / "bin" / "open-webui"


def install(uv: str, venv: Path = UI_VENV) -> Path:
    """Create the UI virtualenv if needed and install Open WebUI without torch into it.

    Returns the ``open-webui`` command. A second call is a quick no-op when nothing changed.
    """
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(venv)], check=True)
    excludes = venv / "excluded-packages.txt"
    excludes.write_text("\n".join(EXCLUDED_PACKAGES) + "\n")
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "--excludes",
            str(excludes),
            OPEN_WEBUI_REQUIREMENT,
        ],
        check=True,
    )
    return open_webui_bin(venv)


def secret_key(data_dir: Path) -> str:
    """A per-installation session secret, generated once and kept in ``data_dir``."""
    path = data_dir / ".webui_secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def offline_env(proxy_base_url: str, api_key: str, data_dir: Path) -> dict[str, str]:
    """Environment for ``open-webui serve``: our proxy as the only backend, nothing downloaded."""
    return {
        **os.environ,
        "OPENAI_API_BASE_URL": proxy_base_url,
        "OPENAI_API_KEY": api_key,
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_FORWARD_USER_INFO_HEADERS": "true",
        "DEFAULT_MODEL_METADATA": json.dumps(DEFAULT_MODEL_METADATA),
        "OFFLINE_MODE": "true",
        "HF_HUB_OFFLINE": "1",
        "RAG_EMBEDDING_ENGINE": "openai",
        "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
        "RAG_RERANKING_MODEL_AUTO_UPDATE": "false",
        "WHISPER_MODEL_AUTO_UPDATE": "false",
        "ENABLE_VERSION_UPDATE_CHECK": "false",
        "ANONYMIZED_TELEMETRY": "false",
        "DO_NOT_TRACK": "true",
        "WEBUI_SECRET_KEY": secret_key(data_dir),
        "DATA_DIR": str(data_dir),
    }


def serve_command(host: str, port: int, venv: Path = UI_VENV) -> list[str]:
    """The command that starts Open WebUI."""
    return [str(open_webui_bin(venv)), "serve", "--host", host, "--port", str(port)]
