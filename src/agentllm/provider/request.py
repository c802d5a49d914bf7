"""OpenAI chat messages and parameters -> a validated ``ChatRequest``. Pure: no I/O, no LiteLLM,
no Agno. Every error names the field (``messages[2].content[0].type``) in ``RequestError.param``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from agentllm.provider.images import ImageError, parse_image_part
from agentllm.provider.tool_calls import strip_tool_calls
from agentllm.provider.types import (
    DEFAULT_LIMITS,
    ChatRequest,
    ImageInput,
    ImageLimits,
    ModelParams,
    RequestError,
    Turn,
    agent_name,
)

SYSTEM_ROLES = frozenset({"system", "developer"})
MAX_STOP_SEQUENCES = 4
# The content part types LiteLLM 1.108.7 accepts in a user message
# (``litellm.types.llms.openai.ValidUserMessageContentTypes``; a test compares the two).
USER_PART_TYPES = (
    "text",
    "image_url",
    "input_audio",
    "audio_url",
    "document",
    "guarded_text",
    "grounding_source",
    "query",
    "video_url",
    "file",
)


def check_message(message: Any, where: str) -> RequestError | None:
    """Why ``message`` (at ``where``, ``messages[i]``) is not an OpenAI chat message, for any
    model: the rules the guard applies to every chat body and ``parse_messages`` to an agent's."""
    if not isinstance(message, Mapping):
        return RequestError(f"{where} must be an object with 'role' and 'content'", where)
    role = message.get("role")
    if not isinstance(role, str) or not role:
        return RequestError(f"{where}.role is required and must be a string", f"{where}.role")
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and not (
        isinstance(tool_calls, list) and all(isinstance(c, Mapping) for c in tool_calls)
    ):
        return RequestError(f"{where}.tool_calls must be a list of objects", f"{where}.tool_calls")
    for name in ("name", "tool_call_id"):
        if message.get(name) is not None and not isinstance(message[name], str):
            return RequestError(f"{where}.{name} must be a string", f"{where}.{name}")
    content = message.get("content")
    if content is None:
        if role in ("user", "system", "developer"):
            return RequestError(
                f"{where}.content must not be null for role {role!r}", f"{where}.content"
            )
    elif isinstance(content, list):
        for index, part in enumerate(content):
            at = f"{where}.content[{index}]"
            if not isinstance(part, Mapping):
                return RequestError(f"{at} must be an object with a 'type'", at)
            kind = part.get("type", "text")
            if not isinstance(kind, str) or (
                role == "user" and part.get("type") not in USER_PART_TYPES
            ):
                return RequestError(
                    f"{at}.type {part.get('type')!r} is not a content part type; use one of "
                    f"{', '.join(USER_PART_TYPES)}",
                    f"{at}.type",
                )
    elif not isinstance(content, str):
        return RequestError(
            f"{where}.content must be a string or a list of content parts, not "
            f"{type(content).__name__}",
            f"{where}.content",
        )
    return None


def check_common(body: Mapping[str, Any]) -> RequestError | None:
    """What a body needs on every endpoint: LiteLLM's failure path crashes (a plain-text 500)
    when it meets a non-string ``model`` together with a ``metadata`` that is not an object."""
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        return RequestError("'model' is required and must be a non-empty string", "model")
    if body.get("metadata") is not None and not isinstance(body["metadata"], Mapping):
        return RequestError("'metadata' must be an object", "metadata")
    return None


def check_chat_body(body: Mapping[str, Any]) -> RequestError | None:
    """Why a ``/chat/completions`` body breaks OpenAI's schema where LiteLLM 1.108.7 would
    mishandle it (a 500, a failing stream), for any model, or ``None``: the guard's check."""
    if (problem := check_common(body)) is not None:
        return problem
    if "," in body["model"] and body.get("stream"):
        # LiteLLM sends a comma-separated model to each model (its batch completion) and answers
        # with a list, which it cannot stream.
        return RequestError(
            "a comma-separated 'model' (LiteLLM's batch completion) cannot be streamed", "model"
        )
    if body.get("response_format") is not None and not isinstance(body["response_format"], Mapping):
        return RequestError("'response_format' must be an object", "response_format")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return RequestError("'messages' must be a non-empty list of messages", "messages")
    for index, message in enumerate(messages):
        if (problem := check_message(message, f"messages[{index}]")) is not None:
            return problem
    return None


def content_text(content: Any, where: str) -> str:
    """Message content as text: a string, or a list of text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for index, part in enumerate(content):
            at = f"{where}.content[{index}]"
            if not isinstance(part, Mapping):
                raise RequestError(f"{at} must be an object", at)
            kind = part.get("type", "text")
            if kind != "text":
                raise RequestError(
                    f"{at} is of type {kind!r}; this agent accepts text only", f"{at}.type"
                )
            texts.append(_part_text(part, at))
        return "\n".join(texts)
    if content is None:
        raise RequestError(f"{where}.content must not be null", f"{where}.content")
    raise RequestError(
        f"{where}.content must be a string or a list of text parts, not {type(content).__name__}",
        f"{where}.content",
    )


def _part_text(part: Mapping[str, Any], at: str) -> str:
    """The text of the text part at ``at``."""
    text = part.get("text")
    if not isinstance(text, str):
        raise RequestError(f"{at}.text must be a string", f"{at}.text")
    return text


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
            raise RequestError(f"{at} must be an object", at)
        kind = part.get("type", "text")
        if kind == "image_url":
            try:
                images.append(parse_image_part(part, at, limits))
            except ImageError as exc:
                raise RequestError(exc.message, exc.param) from None
        elif kind != "text":
            raise RequestError(
                f"{at} is of type {kind!r}; a user message takes text and image_url parts",
                f"{at}.type",
            )
        else:
            texts.append(_part_text(part, at))
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
        if (problem := check_message(message, where)) is not None:
            raise problem
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
        else:
            raise RequestError(
                f"{where} has role {role!r}; expected 'system', 'developer', 'user' or 'assistant'",
                f"{where}.role",
            )
    if not turns or turns[-1].role != "user":
        others = [i for i, m in enumerate(messages) if m.get("role") not in SYSTEM_ROLES]
        param = f"messages[{others[-1]}]" if others else "messages"
        raise RequestError("the last non-system message must be from the user", param)
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
