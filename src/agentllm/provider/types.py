"""The plain types every layer shares: a request, its turns and parameters, what a run yields, the
request errors, the ``agno/`` prefix and the header names. No LiteLLM, no Agno: the CLI, the
settings and the pure modules (``conversation``, ``identity``, ``request``) import this alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PROVIDER = "agno"
MODEL_PREFIX = f"{PROVIDER}/"

# Request headers (lower-case, as LiteLLM hands them over).
CHAT_ID_HEADER = "x-openwebui-chat-id"
USER_ID_HEADER = "x-openwebui-user-id"
SESSION_ID_HEADER = "x-session-id"

# How the tools an agent runs are shown in its reply (AGENTLLM_TOOL_DISPLAY, docs/tool-calls.md).
TOOL_DISPLAYS = ("auto", "details", "status", "off")
Display = Literal["details", "status", "off"]

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_IMAGES = 32


class RequestError(ValueError):
    """The client sent something we cannot run: answered with HTTP 400, naming ``param``."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def model_name(agent: str) -> str:
    """The model name clients use for ``agent``: ``release-manager`` -> ``agno/release-manager``."""
    return f"{MODEL_PREFIX}{agent}"


def agent_name(model: Any) -> str:
    """The agent a model name refers to: ``agno/release-manager`` -> ``release-manager``."""
    name = model.strip().removeprefix(MODEL_PREFIX) if isinstance(model, str) else ""
    if not name:
        raise RequestError(f"'model' names no agent: use '{MODEL_PREFIX}<agent>'", "model")
    return name


@dataclass(frozen=True)
class ImageLimits:
    """What a request may carry: ``AGENTLLM_MAX_IMAGE_BYTES`` per image, ``AGENTLLM_MAX_IMAGES``."""

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_count: int = DEFAULT_MAX_IMAGES


DEFAULT_LIMITS = ImageLimits()


@dataclass(frozen=True)
class ImageInput:
    """One image of a message: inline bytes, or an http(s) URL.

    Two are the same image when their URLs, or their media types, sizes and SHA-256s, agree: the
    bytes themselves and ``detail`` are not compared, so an image read back from the store (a
    reference, no bytes) equals the same image sent again.
    """

    media_type: str | None = None
    sha256: str | None = None
    size: int | None = None
    url: str | None = None
    data: bytes | None = field(default=None, compare=False, repr=False)
    detail: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, reduced to what an agent sees."""

    role: Literal["user", "assistant"]
    content: str
    images: tuple[ImageInput, ...] = ()


@dataclass(frozen=True)
class ModelParams:
    """OpenAI sampling parameters that reach the agent's model."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an agent factory, without unset values."""
        values = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": list(self.stop) if self.stop is not None else None,
            "seed": self.seed,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class ChatRequest:
    """A validated chat request for one agent."""

    agent: str
    message: str
    history: tuple[Turn, ...] = ()
    system: tuple[str, ...] = ()
    params: ModelParams = field(default_factory=ModelParams)
    # The newest message's images; earlier ones are in their turns of ``history``.
    images: tuple[ImageInput, ...] = ()
    # One of Open WebUI's background tasks (title, tags, follow-ups): answered, never stored.
    background_task: bool = False

    @property
    def model(self) -> str:
        return model_name(self.agent)

    @property
    def has_images(self) -> bool:
        """Whether any message of the request carries an image."""
        return bool(self.images) or any(t.images for t in self.history)


# --- what a run yields, as the handler sees it -------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """Tokens a run cost, OpenAI's way."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
        )


@dataclass(frozen=True)
class Finished:
    """The end of a run: why it stopped and what it cost."""

    reason: str
    usage: Usage


@dataclass(frozen=True)
class Thought:
    """A piece of the agent's reasoning, streamed before (or between) its answer's text."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A tool the agent runs: started (``done`` false) or finished with its result."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    result: str | None = None
    done: bool = False
    failed: bool = False


# Reply text, thinking, a tool call that started or finished, or the run's end (always last).
Item = str | Thought | ToolCall | Finished
