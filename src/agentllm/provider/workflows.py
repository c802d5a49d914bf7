"""An Agno ``Workflow`` served as ``agno/<name>``: its run's events as reply items, and its
stored runs as turns (docs/agents.md, "A workflow").

A workflow passes each step the previous step's output, so only its first step sees the
conversation, and the last step's output is the answer. Every earlier step's text is streamed as
reasoning under the step's name; the tool calls of every step are shown as tool calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import litellm
from agno.models.message import Message
from agno.run.agent import RunEvent
from agno.run.base import HISTORY_SKIP_STATUSES
from agno.run.workflow import WorkflowCompletedEvent, WorkflowRunEvent, WorkflowRunOutput
from agno.workflow import Workflow

from agentllm.provider.conversation import StoredRun
from agentllm.provider.errors import run_failure
from agentllm.provider.events import TOOL_EVENTS, finish_reason, tool_call, usage_from_metrics
from agentllm.provider.types import PROVIDER, Finished, Item, Thought, Turn, Usage

_ERRORS = frozenset(
    {
        WorkflowRunEvent.workflow_error.value,
        WorkflowRunEvent.step_error.value,
        RunEvent.run_error.value,
    }
)


def no_images(model: str) -> str:
    """Why a workflow's request with images is refused."""
    return (
        f"{model} is an Agno workflow, and workflows are not given images (each step gets the "
        "previous step's text); send the request without image_url parts"
    )


def _top_step(event: Any) -> int | None:
    """The index of the top-level step an event belongs to (nested steps carry a tuple)."""
    index = getattr(event, "step_index", None)
    if isinstance(index, tuple | list):
        index = index[0] if index else None
    return index if isinstance(index, int) else None


def workflow_usage(run: WorkflowRunOutput | None) -> Usage:
    """What every step of the run cost, added up (Agno keeps it per step)."""
    steps = getattr(getattr(run, "metrics", None), "steps", None) or {}
    return sum((usage_from_metrics(step.metrics) for step in steps.values()), Usage())


def _last_finish_reason(run: WorkflowRunOutput | None) -> str:
    """The last step's model's finish reason (``length`` when it was cut by ``max_tokens``)."""
    executor_runs = getattr(run, "step_executor_runs", None) or []
    if not executor_runs:
        return "stop"
    return finish_reason(getattr(executor_runs[-1], "model_provider_data", None))


class WorkflowReply:
    """Turns one workflow run's events into reply items (one instance per run)."""

    def __init__(self, workflow: Workflow, model: str) -> None:
        steps = workflow.steps
        # Steps given as one function have no index: all of their text is the answer.
        self.last = len(steps) - 1 if isinstance(steps, list) else None
        self.model = model
        self.answered = False

    def _is_answer(self, event: Any) -> bool:
        return self.last is None or _top_step(event) == self.last

    def items(self, event: Any) -> Iterator[Item]:
        """The reply items one event of the run makes (often none)."""
        kind = getattr(event, "event", None)
        if isinstance(event, WorkflowCompletedEvent):
            run = event.run_output
            if not self.answered and isinstance(event.content, str) and event.content:
                yield event.content  # the last step streamed nothing (a function step)
            yield Finished(_last_finish_reason(run), workflow_usage(run))
        elif kind in _ERRORS:
            raise run_failure(event, self.model)
        elif kind == WorkflowRunEvent.workflow_cancelled:
            raise litellm.APIConnectionError(
                message=f"workflow {self.model!r} run was cancelled",
                llm_provider=PROVIDER,
                model=self.model,
            )
        elif kind == WorkflowRunEvent.step_started and not self._is_answer(event):
            yield Thought(f"**{event.step_name}**\n")
        elif kind == WorkflowRunEvent.step_completed and not self._is_answer(event):
            yield Thought("\n\n")
        elif kind == RunEvent.run_content:
            content = getattr(event, "content", None)
            if isinstance(content, str) and content:
                if self._is_answer(event):
                    self.answered = True
                    yield content
                else:
                    yield Thought(content)
            elif (
                isinstance(reasoning := getattr(event, "reasoning_content", None), str)
                and reasoning
            ):
                yield Thought(reasoning)
        elif kind in TOOL_EVENTS and (call := tool_call(event)) is not None:
            yield call


def _input_messages(run: WorkflowRunOutput) -> list[Message]:
    """The run's input as messages: a list of messages (what the provider sends), or text."""
    raw = run.input
    if isinstance(raw, str):
        return [Message(role="user", content=raw)]
    if not isinstance(raw, list):
        return []
    found = []
    for item in raw:
        if isinstance(item, Message):
            found.append(item)
        elif isinstance(item, dict) and "role" in item:
            found.append(Message.from_dict(item))
    return found


def workflow_turns(runs: list[WorkflowRunOutput]) -> list[StoredRun]:
    """A workflow's stored runs as turns: the input messages it did not replay, and its answer."""
    found = []
    for run in runs:
        if run.status in HISTORY_SKIP_STATUSES:
            continue
        turns = [
            Turn("user" if m.role == "user" else "assistant", m.get_content_string())
            for m in _input_messages(run)
            if m.role in ("user", "assistant") and not m.from_history and m.get_content_string()
        ]
        if isinstance(run.content, str) and run.content:
            turns.append(Turn("assistant", run.content))
        found.append(StoredRun(run_id=str(run.run_id), turns=tuple(turns)))
    return found
