"""Agno (3.1.x): run event names, callable instructions, and the private model methods our model
classes override."""

from __future__ import annotations

from typing import Any

from agno.run.agent import RunEvent
from agno.run.team import TeamRunEvent
from agno.run.workflow import WorkflowRunEvent
from agno.utils.agent import execute_instructions

# The event kinds the reply translation matches (``event.event`` of an agent's stream item), as
# Agno's own enums spell them (agno/run/agent.py, agno/run/workflow.py). A team's events are
# named differently (``TeamRunContent``); ``event_kind`` maps them to these.
RUN_CONTENT = RunEvent.run_content.value
RUN_ERROR = RunEvent.run_error.value
RUN_CANCELLED = RunEvent.run_cancelled.value
TOOL_CALL_STARTED = RunEvent.tool_call_started.value
TOOL_CALL_COMPLETED = RunEvent.tool_call_completed.value
TOOL_CALL_ERROR = RunEvent.tool_call_error.value
WORKFLOW_ERROR = WorkflowRunEvent.workflow_error.value
WORKFLOW_CANCELLED = WorkflowRunEvent.workflow_cancelled.value
STEP_STARTED = WorkflowRunEvent.step_started.value
STEP_COMPLETED = WorkflowRunEvent.step_completed.value
STEP_ERROR = WorkflowRunEvent.step_error.value

# A team's own event names -> the agent's name for the same event (by enum member name), for the
# members both enums have and spell differently (``CustomEvent`` is the same in both: left out,
# as it cannot tell a team's event from a member's).
_TEAM_TO_AGENT = {
    team.value: RunEvent[team.name].value
    for team in TeamRunEvent
    if team.name in RunEvent.__members__ and team.value != RunEvent[team.name].value
}


def event_kind(event: Any, team: bool = False) -> str | None:
    """The kind of an Agno stream item in the agent's vocabulary (``RunEvent`` values, or
    ``WorkflowRunEvent`` values for a workflow's own events), ``None`` when it has none.

    For a ``team``, only the team's own events have a kind (``TeamRunContent`` ->
    ``RunContent``); its members' events, which Agno streams too, have none. Relies on:
    ``TeamRunEvent`` (agno/run/team.py) naming its members as ``RunEvent`` does.
    """
    kind = getattr(event, "event", None)
    if not isinstance(kind, str):
        return None
    return _TEAM_TO_AGENT.get(kind) if team else kind


def instructions_of(base: Any, agent: Any, run_context: Any = None) -> str | list[str] | None:
    """An agent's own instructions as Agno would compute them for this run: ``base`` called
    with the arguments its signature names (``agent``, ``team``, ``session_state``,
    ``run_context``) if it is callable, else ``base``.

    Relies on: ``agno.utils.agent.execute_instructions`` (not in Agno's docs), the function
    Agno's own system-message builder calls (agno/agent/_messages.py).
    """
    if not callable(base):
        return base
    return execute_instructions(base, agent=agent, run_context=run_context)


# Agno methods that our model classes override (models/): (class, method, the parameter names
# Agno declares). ``Model`` (agno/models/base.py) declares all six abstract: the offline and local
# models implement them. ``_parse_provider_response`` and ``_parse_provider_response_delta`` are
# private: Agno's ``Gemini`` and ``OpenAIChat`` call them from their ``invoke*`` methods on every
# response and every streamed delta, and our subclasses wrap them to keep the finish reason and
# usage. ``invoke``/``ainvoke``/``invoke_stream``/``ainvoke_stream`` are the four ways Agno calls
# a vendor (models/reporting.py re-raises vendor errors there).
MODEL_OVERRIDES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agno.models.base:Model", "_parse_provider_response", ("self", "response", "kwargs")),
    ("agno.models.base:Model", "_parse_provider_response_delta", ("self", "response")),
    ("agno.models.google:Gemini", "_parse_provider_response", ("self", "response", "kwargs")),
    (
        "agno.models.google:Gemini",
        "_parse_provider_response_delta",
        ("self", "response_delta", "kwargs"),
    ),
    (
        "agno.models.openai:OpenAIChat",
        "_parse_provider_response",
        ("self", "response", "response_format"),
    ),
    ("agno.models.openai:OpenAIChat", "_parse_provider_response_delta", ("self", "response_delta")),
    ("agno.models.base:Model", "invoke", ("self", "args", "kwargs")),
    ("agno.models.base:Model", "ainvoke", ("self", "args", "kwargs")),
    ("agno.models.base:Model", "invoke_stream", ("self", "args", "kwargs")),
    ("agno.models.base:Model", "ainvoke_stream", ("self", "args", "kwargs")),
)
