"""Pure translation between OpenAI/LiteLLM requests and Agno runs. No I/O here.

``parse_request`` turns what LiteLLM hands a ``CustomLLM`` into a validated ``ChatRequest``;
``text_chunk``/``final_chunk``/``model_response`` turn Agno output back into LiteLLM's types;
the failures it meets are answered as ``errors`` says.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import litellm
from agno.run.agent import RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunOutput
from litellm.litellm_core_utils.core_helpers import map_finish_reason
from litellm.types.utils import (
    Delta,
    GenericStreamingChunk,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
    Usage,
)

from agentllm.provider.errors import PROVIDER, RequestError, no_final_output, run_failure
from agentllm.provider.images import (
    DEFAULT_LIMITS,
    ImageError,
    ImageInput,
    ImageLimits,
    parse_image_part,
)
from agentllm.provider.tool_calls import ToolCall, ToolView, strip_tool_calls

SYSTEM_ROLES = frozenset({"system", "developer"})
TASK_PREFIX = "### Task:"
TASK_MARKER = "<chat_history>"
# Parameters an agent honours; everything else a client may send is accepted and ignored.
MAX_STOP_SEQUENCES = 4


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

    @property
    def has_images(self) -> bool:
        """Whether any message of the request carries an image."""
        return bool(self.images) or any(t.images for t in self.history)

    @property
    def is_background_task(self) -> bool:
        """Open WebUI's title/tags/follow-up/autocomplete tasks: one user message, never stored."""
        return is_background_task(self.message) and not self.history


def is_background_task(text: str) -> bool:
    """True for Open WebUI's generated task prompts (``### Task:`` … ``<chat_history>``)."""
    return text.lstrip().startswith(TASK_PREFIX) and TASK_MARKER in text


def agent_name(model: str | None) -> str:
    """The agent a LiteLLM model name refers to: ``agno/release-manager`` -> ``release-manager``."""
    if not isinstance(model, str) or not model.strip():
        raise RequestError("'model' names no agent: use 'agno/<agent>'", "model")
    name = model.strip()
    if name.startswith(f"{PROVIDER}/"):
        name = name[len(PROVIDER) + 1 :]
    if not name:
        raise RequestError("'model' names no agent: use 'agno/<agent>'", "model")
    return name


def content_text(content: Any, where: str) -> str:
    """Message content as text: a string, or a list of text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for index, part in enumerate(content):
            if not isinstance(part, Mapping):
                raise RequestError(f"{where}.content[{index}] must be an object", where)
            kind = part.get("type", "text")
            if kind != "text":
                raise RequestError(
                    f"{where}.content[{index}] is of type {kind!r}; this agent accepts text only",
                    where,
                )
            text = part.get("text")
            if not isinstance(text, str):
                raise RequestError(f"{where}.content[{index}].text must be a string", where)
            texts.append(text)
        return "\n".join(texts)
    if content is None:
        raise RequestError(f"{where}.content must not be null", where)
    raise RequestError(
        f"{where}.content must be a string or a list of text parts, not {type(content).__name__}",
        where,
    )


def user_content(
    content: Any, where: str, limits: ImageLimits
) -> tuple[str, tuple[ImageInput, ...]]:
    """A user message's text and images: a string, or text parts (joined by newlines) and
    ``image_url`` parts."""
    if not isinstance(content, list):
        return content_text(content, where), ()
    texts: list[str] = []
    images: list[ImageInput] = []
    for index, part in enumerate(content):
        at = f"{where}.content[{index}]"
        if not isinstance(part, Mapping):
            raise RequestError(f"{at} must be an object", where)
        kind = part.get("type", "text")
        if kind == "image_url":
            try:
                images.append(parse_image_part(part, at, limits))
            except ImageError as exc:
                raise RequestError(exc.message, where) from None
        elif kind != "text":
            raise RequestError(
                f"{at} is of type {kind!r}; a user message takes text and image_url parts", where
            )
        elif not isinstance(part.get("text"), str):
            raise RequestError(f"{at}.text must be a string", where)
        else:
            texts.append(part["text"])
    return "\n".join(texts), tuple(images)


def parse_messages(
    messages: Any, limits: ImageLimits = DEFAULT_LIMITS
) -> tuple[tuple[str, ...], tuple[Turn, ...], Turn]:
    """Split OpenAI ``messages`` into (system texts, earlier turns, newest user message)."""
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty list of messages", "messages")
    system: list[str] = []
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise RequestError(f"{where} must be an object with 'role' and 'content'", "messages")
        role = message.get("role")
        if role in SYSTEM_ROLES:
            system.append(content_text(message.get("content"), where))
        elif role == "user":
            turns.append(Turn("user", *user_content(message.get("content"), where, limits)))
        elif role == "assistant":
            content = message.get("content")
            # An assistant message may carry only tool calls; its text is then empty. Tool calls
            # we showed in an earlier reply come back in it: they are not the agent's words.
            text = "" if content is None else strip_tool_calls(content_text(content, where))
            if text:
                turns.append(Turn("assistant", text))
        elif role is None:
            raise RequestError(f"{where} has no 'role'", "messages")
        else:
            raise RequestError(
                f"{where} has role {role!r}; expected 'system', 'developer', 'user' or 'assistant'",
                "messages",
            )
    if not turns or turns[-1].role != "user":
        raise RequestError("the last non-system message must be from the user", "messages")
    count = sum(len(t.images) for t in turns)
    if count > limits.max_count:
        raise RequestError(
            f"the request carries {count} images; at most {limits.max_count} are accepted "
            "(AGENTLLM_MAX_IMAGES)",
            "messages",
        )
    return tuple(system), tuple(turns[:-1]), turns[-1]


def _number(params: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RequestError(f"'{name}' must be a number between {low} and {high}", name)
    if not low <= value <= high:
        raise RequestError(f"'{name}' must be between {low} and {high}, got {value}", name)
    return float(value)


def _integer(params: Mapping[str, Any], name: str, low: int) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"'{name}' must be an integer of at least {low}", name)
    if value < low:
        raise RequestError(f"'{name}' must be at least {low}, got {value}", name)
    return value


def parse_params(params: Mapping[str, Any]) -> ModelParams:
    """Validate the sampling parameters LiteLLM passes in ``optional_params``."""
    n = params.get("n")
    if n is not None and n != 1:
        raise RequestError("'n' must be 1: an agent gives one answer per request", "n")
    stream = params.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise RequestError("'stream' must be true or false", "stream")
    max_tokens = _integer(params, "max_tokens", 1)
    if max_tokens is None:
        max_tokens = _integer(params, "max_completion_tokens", 1)
    stop = params.get("stop")
    if stop is not None:
        if isinstance(stop, str):
            stop = [stop]
        if (
            not isinstance(stop, list)
            or len(stop) > MAX_STOP_SEQUENCES
            or not all(isinstance(s, str) and s for s in stop)
        ):
            raise RequestError(
                f"'stop' must be a string or a list of up to {MAX_STOP_SEQUENCES} "
                "non-empty strings",
                "stop",
            )
        stop = tuple(stop)
    seed = params.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError("'seed' must be an integer", "seed")
    return ModelParams(
        temperature=_number(params, "temperature", 0.0, 2.0),
        max_tokens=max_tokens,
        top_p=_number(params, "top_p", 0.0, 1.0),
        stop=stop,
        seed=seed,
    )


def parse_request(
    model: str,
    messages: Any,
    optional_params: Mapping[str, Any],
    limits: ImageLimits = DEFAULT_LIMITS,
) -> ChatRequest:
    """Validate one chat request; raises ``RequestError`` with a message fit for the client."""
    name = agent_name(model)
    system, history, newest = parse_messages(messages, limits)
    return ChatRequest(
        agent=name,
        message=newest.content,
        history=history,
        system=system,
        params=parse_params(optional_params or {}),
        images=newest.images,
    )


# --- Agno output -> LiteLLM -------------------------------------------------------------------


def usage_from_metrics(metrics: Any) -> Usage:
    """OpenAI usage from an Agno ``RunMetrics`` (or ``None``: zero usage)."""
    prompt = int(getattr(metrics, "input_tokens", 0) or 0)
    completion = int(getattr(metrics, "output_tokens", 0) or 0)
    total = int(getattr(metrics, "total_tokens", 0) or 0) or prompt + completion
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


def finish_reason(provider_data: Mapping[str, Any] | None) -> str:
    """``length`` (cut by ``max_tokens``) or ``content_filter`` (blocked) when the model's own
    finish reason says so, in any vendor's words (LiteLLM's table); else ``stop``."""
    reason = (provider_data or {}).get("finish_reason")
    if not isinstance(reason, str) or not reason:
        return "stop"
    mapped = map_finish_reason(reason)
    return mapped if mapped in ("length", "content_filter") else "stop"


def text_chunk(text: str) -> GenericStreamingChunk:
    """A streamed piece of the reply."""
    return GenericStreamingChunk(
        text=text, tool_use=None, is_finished=False, finish_reason="", usage=None, index=0
    )


def final_chunk(reason: str, usage: Usage) -> GenericStreamingChunk:
    """The last streamed chunk: carries ``finish_reason`` and ``usage``."""
    return GenericStreamingChunk(
        text="",
        tool_use=None,
        is_finished=True,
        finish_reason=reason,
        usage={
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        index=0,
    )


def reasoning_chunk(text: str, stream_id: str) -> ModelResponseStream:
    """A streamed piece of the agent's thinking (``delta.reasoning_content``, which Open WebUI
    shows as a thought). LiteLLM passes a custom provider's ``ModelResponseStream`` through;
    ``GenericStreamingChunk`` has no field for reasoning. LiteLLM takes such a chunk's id as the
    stream's id from then on, so every thought of one run carries the same ``stream_id``."""
    return ModelResponseStream(
        id=stream_id,
        choices=[StreamingChoices(index=0, delta=Delta(content=None, reasoning_content=text))],
    )


def model_response(
    response: ModelResponse,
    model: str,
    text: str,
    reason: str,
    usage: Usage,
    reasoning: str | None = None,
) -> ModelResponse:
    """Fill LiteLLM's ``ModelResponse`` with the agent's answer (and its thinking, if any)."""
    choice = response.choices[0]
    choice.message.content = text
    if reasoning:
        choice.message.reasoning_content = reasoning
    choice.message.role = "assistant"
    choice.finish_reason = reason  # type: ignore[assignment]
    response.model = model
    response.created = int(time.time())
    response.usage = usage  # type: ignore[attr-defined]
    return response


# --- Agno's run -> LiteLLM's reply ------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """The end of a run: why it stopped and what it cost."""

    reason: str
    usage: Usage


@dataclass(frozen=True)
class Thought:
    """A piece of the agent's reasoning, streamed before (or between) its answer's text."""

    text: str


# What a run yields, as the handler sees it: reply text, thinking, a tool call that started or
# finished, or the run's end (last).
Item = str | Thought | ToolCall | Finished


def tool_call(event: Any) -> ToolCall | None:
    """Agno's ``ToolCallStarted``/``ToolCallCompleted`` event as a ``ToolCall``."""
    tool = getattr(event, "tool", None)
    if tool is None:
        return None
    done = event.event.endswith("ToolCallCompleted")
    result = tool.result
    return ToolCall(
        id=str(tool.tool_call_id or ""),
        name=str(tool.tool_name or "tool"),
        arguments=dict(tool.tool_args or {}),
        result=str(result) if done and result is not None else None,
        done=done,
        failed=bool(tool.tool_call_error),
    )


def run_item(event: Any, model: str, team: bool = False) -> Item | None:
    """One Agno stream item as reply text, thinking, a tool call, the run's end, or nothing of
    interest (a failed tool call arrives both as completed and as ``ToolCallError``: the first
    is enough). For a ``team``, only the team's own events count: its members' runs reach the
    reply through the leader's delegation tool calls and its answer."""
    if isinstance(event, RunOutput | TeamRunOutput):
        if event.status == RunStatus.error:
            raise run_failure(event, model)
        return Finished(finish_reason(event.model_provider_data), usage_from_metrics(event.metrics))
    kind = getattr(event, "event", None)
    if team:
        if not (isinstance(kind, str) and kind.startswith("Team")):
            return None
        kind = kind.removeprefix("Team")
    if kind == "RunContent":
        content = getattr(event, "content", None)
        if isinstance(content, str) and content:
            return content
        reasoning = getattr(event, "reasoning_content", None)
        return Thought(reasoning) if isinstance(reasoning, str) and reasoning else None
    if kind in ("ToolCallStarted", "ToolCallCompleted"):
        return tool_call(event)
    if kind == "RunError":
        raise run_failure(event, model)
    if kind == "RunCancelled":
        raise litellm.APIConnectionError(
            message=f"agent {model!r} run was cancelled", llm_provider=PROVIDER, model=model
        )
    return None


def stream_chunk(
    item: Item, stream_id: str, view: ToolView
) -> GenericStreamingChunk | ModelResponseStream | None:
    """One streamed chunk for a run item (None: nothing to show), tool calls in ``view``'s form."""
    if isinstance(item, Finished):
        return final_chunk(item.reason, item.usage)
    if isinstance(item, Thought):
        return reasoning_chunk(item.text, stream_id)
    text = view.show(item)
    return text_chunk(text) if text else None


def whole_reply(
    response: ModelResponse, model: str, items: list[Item], view: ToolView
) -> ModelResponse:
    """A whole (non-streamed) answer from the run's items; the run's end is always last. Its
    content shows the finished tool calls in ``view``'s form (a started one says nothing new)."""
    *pieces, finished = items
    if not isinstance(finished, Finished):
        raise no_final_output(model)
    text = "".join(
        view.show(i) for i in pieces if isinstance(i, str) or (isinstance(i, ToolCall) and i.done)
    )
    thinking = "".join(i.text for i in pieces if isinstance(i, Thought))
    return model_response(response, model, text, finished.reason, finished.usage, thinking)
