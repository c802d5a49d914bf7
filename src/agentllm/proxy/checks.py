"""The shape each chat endpoint's JSON body must have before LiteLLM may see it.

Each check returns why a body breaks its API's schema where LiteLLM 1.108.7 would mishandle it
(a 500, a 200 stream that fails, a traceback in the message) as a ``RequestError`` whose ``param``
names the field (``messages[2].content[0].type``), or ``None``. They check types and
structure only; the values an agent uses (roles, parameters, images) are validated by the
provider (``agentllm.provider.request.parse_request``), which answers 400 itself. The chat check
is the provider's own ``check_chat_body``, whose message rules ``parse_messages`` applies too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openai.types.responses import ResponseFunctionWebSearch
from pydantic import ValidationError

from agentllm.provider.request import check_chat_body, check_common
from agentllm.provider.types import RequestError

Check = Callable[[dict[str, Any]], RequestError | None]

ANTHROPIC_TOOL_CHOICES = ("auto", "any", "tool", "none")


def _is(item: Any, kind: type) -> bool:
    """``isinstance``, except that a boolean is not an integer."""
    return isinstance(item, kind) and not (kind is int and isinstance(item, bool))


def _optional(value: dict[str, Any], name: str, kind: type) -> bool:
    """Whether ``value[name]`` is absent, null or of ``kind``."""
    return value.get(name) is None or _is(value[name], kind)


def _field_is(value: dict[str, Any], name: str, kind: type) -> bool:
    """Whether ``value[name]`` is absent or of ``kind``: inside these objects LiteLLM reads a
    null as a value and fails on it."""
    return name not in value or _is(value[name], kind)


def _typed_parts(parts: list[Any], where: str) -> RequestError | None:
    """Why a list of content parts is not a list of objects with a string ``type``."""
    for index, part in enumerate(parts):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            at = f"{where}[{index}]"
            param = f"{at}.type" if isinstance(part, dict) else at
            return RequestError(f"{at} must be an object with a string 'type'", param)
    return None


def check_responses_request(value: dict[str, Any]) -> RequestError | None:
    """``/responses``: OpenAI Responses API input (a string or a list of input items)."""
    if (problem := check_common(value)) is not None:
        return problem
    if not _optional(value, "instructions", str):
        return RequestError("'instructions' must be a string", "instructions")
    items = value.get("input")
    if isinstance(items, str):
        return None
    if not isinstance(items, list) or not items:
        return RequestError("'input' must be a string or a non-empty list of input items", "input")
    for index, item in enumerate(items):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            return RequestError(
                f"{where} must be an object (a message or another input item)", where
            )
        kind = item.get("type", "message")
        if not isinstance(kind, str):
            return RequestError(f"{where}.type must be a string", f"{where}.type")
        if kind == "web_search_call":
            # LiteLLM validates it with the openai SDK's model, and answers a failure with 500.
            try:
                ResponseFunctionWebSearch.model_validate(item)
            except ValidationError as exc:
                fields = dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"])
                wrong = [f"{where}.{field}" for field in fields] or [where]
                return RequestError(
                    f"{where} is not a valid web_search_call item: check {', '.join(wrong)}",
                    wrong[0],
                )
            continue
        if kind != "message" and "role" not in item:
            continue
        if not isinstance(item.get("role"), str) or not item["role"]:
            return RequestError(f"{where}.role is required and must be a string", f"{where}.role")
        content = item.get("content")
        if isinstance(content, list):
            if (problem := _typed_parts(content, f"{where}.content")) is not None:
                return problem
        elif not isinstance(content, str):
            return RequestError(
                f"{where}.content must be a string or a list of content parts", f"{where}.content"
            )
    return None


def check_messages_request(value: dict[str, Any]) -> RequestError | None:
    """``/messages``: Anthropic Messages API (``messages``, ``system``, ``thinking``)."""
    if (problem := check_common(value)) is not None:
        return problem
    messages = value.get("messages")
    if not isinstance(messages, list) or not messages:
        return RequestError("'messages' must be a non-empty list of messages", "messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return RequestError(f"{where} must be an object with 'role' and 'content'", where)
        if not isinstance(message.get("role"), str) or not message["role"]:
            return RequestError(f"{where}.role is required and must be a string", f"{where}.role")
        content = message.get("content")
        if isinstance(content, list):
            if (problem := _typed_parts(content, f"{where}.content")) is not None:
                return problem
        elif not isinstance(content, str):
            return RequestError(
                f"{where}.content must be a string or a list of content blocks", f"{where}.content"
            )
    system = value.get("system")
    if isinstance(system, list):
        if (problem := _typed_parts(system, "system")) is not None:
            return problem
    elif system is not None and not isinstance(system, str):
        return RequestError("'system' must be a string or a list of text blocks", "system")
    return _check_anthropic_options(value)


def _check_anthropic_options(value: dict[str, Any]) -> RequestError | None:
    """``tools``, ``tool_choice``, ``thinking`` and ``metadata.user_id`` of an Anthropic request."""
    tools = value.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return RequestError("'tools' must be a list of tools", "tools")
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict) or not _field_is(tool, "type", str):
                return RequestError(
                    f"tools[{index}] must be an object whose 'type', if any, is a string",
                    f"tools[{index}]",
                )
    choice = value.get("tool_choice")
    if choice is not None:
        if not isinstance(choice, dict):
            return RequestError(
                '\'tool_choice\' must be an object such as {"type": "auto"}', "tool_choice"
            )
        if "type" in choice and choice["type"] not in ANTHROPIC_TOOL_CHOICES:
            return RequestError(
                f"'tool_choice.type' must be one of {', '.join(ANTHROPIC_TOOL_CHOICES)}",
                "tool_choice.type",
            )
        if not _field_is(choice, "name", str):
            return RequestError("'tool_choice.name' must be a string", "tool_choice.name")
    thinking = value.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, dict) or not isinstance(thinking.get("type"), str):
            return RequestError("'thinking' must be an object with a string 'type'", "thinking")
        if not _field_is(thinking, "budget_tokens", int):
            return RequestError(
                "'thinking.budget_tokens' must be an integer", "thinking.budget_tokens"
            )
    if not _optional(value.get("metadata") or {}, "user_id", str):
        return RequestError("'metadata.user_id' must be a string", "metadata.user_id")
    return None


CHECKS: dict[str, Check] = {
    "/chat/completions": check_chat_body,
    "/responses": check_responses_request,
    "/messages": check_messages_request,
}
