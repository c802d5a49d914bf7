"""Agno's run events -> reply items (``types.Item``): the answer's text, thinking, tool calls and
the run's end. Events are told apart by Agno's own enums (``RunEvent``, ``TeamRunEvent``), never
by spelling their names. A workflow's events are read in ``workflows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import litellm
from agno.run.agent import RunEvent, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunEvent, TeamRunOutput
from litellm.litellm_core_utils.core_helpers import map_finish_reason

from agentllm.provider.errors import run_failure
from agentllm.provider.types import PROVIDER, Finished, Item, Thought, ToolCall, Usage


@dataclass(frozen=True)
class Vocabulary:
    """The event names of one kind of runner (an agent's, or a team's own)."""

    content: str
    tool_started: str
    tool_completed: str
    error: str
    cancelled: str


AGENT_EVENTS = Vocabulary(
    content=RunEvent.run_content.value,
    tool_started=RunEvent.tool_call_started.value,
    tool_completed=RunEvent.tool_call_completed.value,
    error=RunEvent.run_error.value,
    cancelled=RunEvent.run_cancelled.value,
)
# A team's own events; its members' runs reach the reply through the leader's delegation tool
# calls and its answer, so their (agent) events are not read.
TEAM_EVENTS = Vocabulary(
    content=TeamRunEvent.run_content.value,
    tool_started=TeamRunEvent.tool_call_started.value,
    tool_completed=TeamRunEvent.tool_call_completed.value,
    error=TeamRunEvent.run_error.value,
    cancelled=TeamRunEvent.run_cancelled.value,
)
TOOL_EVENTS = frozenset(
    {
        RunEvent.tool_call_started.value,
        RunEvent.tool_call_completed.value,
        TeamRunEvent.tool_call_started.value,
        TeamRunEvent.tool_call_completed.value,
    }
)
_COMPLETED = frozenset({RunEvent.tool_call_completed.value, TeamRunEvent.tool_call_completed.value})


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


def tool_call(event: Any) -> ToolCall | None:
    """Agno's tool-call started/completed event as a ``ToolCall``."""
    tool = getattr(event, "tool", None)
    if tool is None:
        return None
    done = getattr(event, "event", None) in _COMPLETED
    result = tool.result
    return ToolCall(
        id=str(tool.tool_call_id or ""),
        name=str(tool.tool_name or "tool"),
        arguments=dict(tool.tool_args or {}),
        result=str(result) if done and result is not None else None,
        done=done,
        failed=bool(tool.tool_call_error),
    )


def content_item(event: Any) -> str | Thought | None:
    """A content event's text, or its thinking."""
    content = getattr(event, "content", None)
    if isinstance(content, str) and content:
        return content
    reasoning = getattr(event, "reasoning_content", None)
    return Thought(reasoning) if isinstance(reasoning, str) and reasoning else None


def cancelled(model: str) -> Exception:
    """The run was cancelled (by Agno, or the server shutting down)."""
    return litellm.APIConnectionError(
        message=f"agent {model!r} run was cancelled", llm_provider=PROVIDER, model=model
    )


def run_item(event: Any, model: str, names: Vocabulary = AGENT_EVENTS) -> Item | None:
    """One Agno stream item as reply text, thinking, a tool call, the run's end, or nothing of
    interest (a failed tool call arrives both as completed and as an error: the first is
    enough)."""
    if isinstance(event, RunOutput | TeamRunOutput):
        if event.status == RunStatus.error:
            raise run_failure(event, model)
        return Finished(finish_reason(event.model_provider_data), usage_from_metrics(event.metrics))
    kind = getattr(event, "event", None)
    if kind == names.content:
        return content_item(event)
    if kind in (names.tool_started, names.tool_completed):
        return tool_call(event)
    if kind == names.error:
        raise run_failure(event, model)
    if kind == names.cancelled:
        raise cancelled(model)
    return None
