"""The shape each chat endpoint's JSON body must have before LiteLLM may see it.

Each check returns why a body breaks its API's schema where LiteLLM 1.108.7 would mishandle it
(a 500, a 200 stream that fails, a traceback in the message), or ``None``. They check types and
structure only; the values an agent uses (roles, parameters, images) are validated by the
provider (``agentllm.provider.transformation.parse_request``), which answers 400 itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litellm.types.llms.openai import ValidUserMessageContentTypes
from openai.types.responses import ResponseFunctionWebSearch
from pydantic import ValidationError

Check = Callable[[dict[str, Any]], str | None]

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


def _typed_parts(parts: list[Any], where: str) -> str | None:
    """Why a list of content parts is not a list of objects with a string ``type``."""
    for index, part in enumerate(parts):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            return f"{where}[{index}] must be an object with a string 'type'"
    return None


def check_common(value: dict[str, Any]) -> str | None:
    """What every endpoint needs: LiteLLM's failure path crashes (a plain-text 500) when it
    meets a non-string ``model`` together with a ``metadata`` that is not an object."""
    model = value.get("model")
    if not isinstance(model, str) or not model.strip():
        return "'model' is required and must be a non-empty string"
    if not _optional(value, "metadata", dict):
        return "'metadata' must be an object"
    return None


def check_chat_request(value: dict[str, Any]) -> str | None:
    """``/chat/completions``: OpenAI chat messages."""
    if (problem := check_common(value)) is not None:
        return problem
    if not _optional(value, "response_format", dict):
        return "'response_format' must be an object"
    messages = value.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list of messages"
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return f"{where} must be an object with 'role' and 'content'"
        role = message.get("role")
        if not isinstance(role, str) or not role:
            return f"{where}.role is required and must be a string"
        tool_calls = message.get("tool_calls")
        if tool_calls is not None and not (
            isinstance(tool_calls, list) and all(isinstance(c, dict) for c in tool_calls)
        ):
            return f"{where}.tool_calls must be a list of objects"
        for name in ("name", "tool_call_id"):
            if message.get(name) is not None and not isinstance(message[name], str):
                return f"{where}.{name} must be a string"
        content = message.get("content")
        if content is None:
            if role in ("user", "system", "developer"):
                return f"{where}.content must not be null for role {role!r}"
        elif isinstance(content, list):
            for part_index, part in enumerate(content):
                at = f"{where}.content[{part_index}]"
                if not isinstance(part, dict) or not isinstance(part.get("type", "text"), str):
                    return f"{at} must be an object with a 'type'"
                if role == "user" and part.get("type") not in ValidUserMessageContentTypes:
                    return (
                        f"{at}.type {part.get('type')!r} is not a content part type; use one of "
                        f"{', '.join(ValidUserMessageContentTypes)}"
                    )
        elif not isinstance(content, str):
            return f"{where}.content must be a string or a list of content parts"
    return None


def check_responses_request(value: dict[str, Any]) -> str | None:
    """``/responses``: OpenAI Responses API input (a string or a list of input items)."""
    if (problem := check_common(value)) is not None:
        return problem
    if not _optional(value, "instructions", str):
        return "'instructions' must be a string"
    items = value.get("input")
    if isinstance(items, str):
        return None
    if not isinstance(items, list) or not items:
        return "'input' must be a string or a non-empty list of input items"
    for index, item in enumerate(items):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            return f"{where} must be an object (a message or another input item)"
        kind = item.get("type", "message")
        if not isinstance(kind, str):
            return f"{where}.type must be a string"
        if kind == "web_search_call":
            # LiteLLM validates it with the openai SDK's model, and answers a failure with 500.
            try:
                ResponseFunctionWebSearch.model_validate(item)
            except ValidationError as exc:
                fields = dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"])
                wrong = ", ".join(f"{where}.{field}" for field in fields)
                return f"{where} is not a valid web_search_call item: check {wrong}"
            continue
        if kind != "message" and "role" not in item:
            continue
        if not isinstance(item.get("role"), str) or not item["role"]:
            return f"{where}.role is required and must be a string"
        content = item.get("content")
        if isinstance(content, list):
            if (problem := _typed_parts(content, f"{where}.content")) is not None:
                return problem
        elif not isinstance(content, str):
            return f"{where}.content must be a string or a list of content parts"
    return None


def check_messages_request(value: dict[str, Any]) -> str | None:
    """``/messages``: Anthropic Messages API (``messages``, ``system``, ``thinking``)."""
    if (problem := check_common(value)) is not None:
        return problem
    messages = value.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list of messages"
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return f"{where} must be an object with 'role' and 'content'"
        if not isinstance(message.get("role"), str) or not message["role"]:
            return f"{where}.role is required and must be a string"
        content = message.get("content")
        if isinstance(content, list):
            if (problem := _typed_parts(content, f"{where}.content")) is not None:
                return problem
        elif not isinstance(content, str):
            return f"{where}.content must be a string or a list of content blocks"
    system = value.get("system")
    if isinstance(system, list):
        if (problem := _typed_parts(system, "system")) is not None:
            return problem
    elif system is not None and not isinstance(system, str):
        return "'system' must be a string or a list of text blocks"
    return _check_anthropic_options(value)


def _check_anthropic_options(value: dict[str, Any]) -> str | None:
    """``tools``, ``tool_choice``, ``thinking`` and ``metadata.user_id`` of an Anthropic request."""
    tools = value.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return "'tools' must be a list of tools"
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict) or not _field_is(tool, "type", str):
                return f"tools[{index}] must be an object whose 'type', if any, is a string"
    choice = value.get("tool_choice")
    if choice is not None:
        if not isinstance(choice, dict):
            return '\'tool_choice\' must be an object such as {"type": "auto"}'
        if "type" in choice and choice["type"] not in ANTHROPIC_TOOL_CHOICES:
            return f"'tool_choice.type' must be one of {', '.join(ANTHROPIC_TOOL_CHOICES)}"
        if not _field_is(choice, "name", str):
            return "'tool_choice.name' must be a string"
    thinking = value.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, dict) or not isinstance(thinking.get("type"), str):
            return "'thinking' must be an object with a string 'type'"
        if not _field_is(thinking, "budget_tokens", int):
            return "'thinking.budget_tokens' must be an integer"
    if not _optional(value.get("metadata") or {}, "user_id", str):
        return "'metadata.user_id' must be a string"
    return None


CHECKS: dict[str, Check] = {
    "/chat/completions": check_chat_request,
    "/responses": check_responses_request,
    "/messages": check_messages_request,
}
