"""An Agno Workflow as a model: its events as reply items, its stored runs as turns, and a whole
run through the handler's synchronous entry points (offline model, the test database)."""

from __future__ import annotations

import litellm
import pytest
from agno.agent import Agent
from agno.models.message import Message
from agno.models.response import ToolExecution
from agno.run.agent import RunContentEvent, ToolCallStartedEvent
from agno.run.base import RunStatus
from agno.run.workflow import (
    StepStartedEvent,
    WorkflowCompletedEvent,
    WorkflowErrorEvent,
    WorkflowRunOutput,
)
from agno.workflow import Step, Workflow
from agno.workflow.types import StepOutput

from agentllm.config import settings
from agentllm.models.offline import OfflineModel
from agentllm.provider.handler import AgnoLLM
from agentllm.provider.types import Finished, Thought, Turn
from agentllm.provider.workflows import WorkflowReply, workflow_turns
from tests.support.handler import entry_point


def two_steps() -> Workflow:
    return Workflow(
        name="w",
        steps=[
            Step(name="first", agent=Agent(model=OfflineModel())),
            Step(name="last", agent=Agent(model=OfflineModel())),
        ],
    )


def content(text: str, step: int | tuple[int, ...]) -> RunContentEvent:
    event = RunContentEvent(content=text)
    event.step_index = step  # type: ignore[attr-defined]  # set by Agno's workflow on its way out
    return event


def items(reply: WorkflowReply, *events) -> list:
    return [item for event in events for item in reply.items(event)]


def test_earlier_steps_are_thoughts_under_their_name_and_the_last_step_is_the_answer():
    reply = WorkflowReply(two_steps(), "agno/w")
    got = items(
        reply,
        StepStartedEvent(step_name="first", step_index=0),
        content("facts", 0),
        StepStartedEvent(step_name="last", step_index=1),
        content("notes", 1),
    )
    assert got == [Thought("**first**\n"), Thought("facts"), "notes"]


def test_a_nested_steps_index_counts_by_its_top_level_step():
    reply = WorkflowReply(two_steps(), "agno/w")
    assert items(reply, content("inner", (0, 1)), content("answer", (1, 0))) == [
        Thought("inner"),
        "answer",
    ]


def test_a_tool_call_of_any_step_is_shown():
    reply = WorkflowReply(two_steps(), "agno/w")
    started = ToolCallStartedEvent(tool=ToolExecution(tool_call_id="c1", tool_name="t"))
    [call] = items(reply, started)
    assert call.name == "t" and not call.done


def test_a_last_step_that_streamed_nothing_answers_with_the_workflows_content():
    reply = WorkflowReply(two_steps(), "agno/w")
    run = WorkflowRunOutput(run_id="r", content="from a function", status=RunStatus.completed)
    got = items(reply, WorkflowCompletedEvent(content="from a function", run_output=run))
    assert got[0] == "from a function" and isinstance(got[1], Finished)
    streamed = WorkflowReply(two_steps(), "agno/w")
    got = items(
        streamed, content("text", 1), WorkflowCompletedEvent(content="text", run_output=run)
    )
    assert got[0] == "text" and isinstance(got[1], Finished) and len(got) == 2


def test_a_workflow_error_is_raised_as_the_providers_error():
    reply = WorkflowReply(two_steps(), "agno/w")
    with pytest.raises(litellm.BadGatewayError) as caught:
        items(reply, WorkflowErrorEvent(error="step 'last' failed: boom"))
    assert "boom" in str(caught.value)


def test_stored_runs_become_the_turns_they_added():
    said = [
        Message(role="system", content="be brief").to_dict(),
        Message(role="user", content="old", from_history=True).to_dict(),
        Message(role="assistant", content="old answer", from_history=True).to_dict(),
        Message(role="user", content="new").to_dict(),
    ]
    runs = [
        WorkflowRunOutput(run_id="a", input=said, content="answer", status=RunStatus.completed),
        WorkflowRunOutput(run_id="b", input="text", content="x", status=RunStatus.regenerated),
        WorkflowRunOutput(run_id="c", input="plain", content="ok", status="COMPLETED"),
        WorkflowRunOutput(
            run_id="d",
            input="half",
            content="",
            status=RunStatus.completed,
            step_results=[StepOutput(content="")],
        ),
    ]
    turns = {run.run_id: run.turns for run in workflow_turns(runs)}
    assert turns == {
        "a": (Turn("user", "new"), Turn("assistant", "answer")),
        "c": (Turn("user", "plain"), Turn("assistant", "ok")),
        "d": (Turn("user", "half"),),
    }


def call(handler: AgnoLLM, entry: str, messages: list[dict], chat: str):
    return entry_point(handler, entry, "release-notes", messages, "sync", chat)


def test_the_synchronous_entry_points_run_a_workflow_and_keep_its_conversation():
    handler = AgnoLLM(settings())
    whole = call(handler, "completion", [{"role": "user", "content": "one"}], "sync-chat")
    message = whole.choices[0].message
    assert message.reasoning_content.startswith("**analyse**\necho: one\ncontext: one")
    assert message.content.startswith("echo: echo: one")
    chunks = list(call(handler, "streaming", [{"role": "user", "content": "two"}], "sync-chat"))
    thinking = "".join(
        c.choices[0].delta.reasoning_content or ""
        for c in chunks
        if not isinstance(c, dict) and c.choices
    )
    assert "context: one | two" in thinking
    assert chunks[-1]["is_finished"] and chunks[-1]["usage"]["completion_tokens"] > 0
