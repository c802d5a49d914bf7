"""Agno (3.1.x): callable instructions, the private model methods our model classes override, and
the database methods our conversation store overrides.

Agno's run events are matched by its public enums (``RunEvent``, ``TeamRunEvent``,
``WorkflowRunEvent``) in provider/events.py and provider/workflows.py; the contract test checks
that each event class we match carries its enum value."""

from __future__ import annotations

from typing import Any

from agno.utils.agent import execute_instructions


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


# Writes that are not a turn's (Agno's tools, AgentOS, an operator): straight to the database,
# and the store forgets every conversation it kept in memory (agentllm/store.py).
FORGETTING = frozenset(
    {
        "upsert_sessions",
        "delete_session",
        "delete_sessions",
        "rename_session",
        "reassign_session_owner",
        "delete_run",
        "delete_runs",
        "cancel_pending_run",
        "delete_compactions_for_session",
    }
)
# Agno's BaseDb methods about sessions and runs (agno/db/base.py), and what our store
# (agentllm/store.py) does with each. A test fails when an Agno upgrade adds one that is in
# neither set, so the upgrade is looked at.
OVERRIDDEN = frozenset(
    {"upsert_session", "upsert_run", "get_session", "update_approval_run_status"} | FORGETTING
)
PASSED_THROUGH = frozenset(
    {
        # Reads: straight from the database.
        "get_sessions",
        "get_run",
        "get_runs",
        "get_tool_results_for_session",
        "get_compactions_for_session",
        "list_transcript_sessions",
        # Not conversations: evaluations, schedules, background tasks.
        "create_eval_run",
        "delete_eval_runs",
        "get_eval_run",
        "get_eval_runs",
        "rename_eval_run",
        "update_eval_run_user_id",
        "start_task_run",
        "complete_task_run",
        "delete_schedule_runs",
        "create_schedule_run",
        "update_schedule_run",
        "get_schedule_run",
        "get_latest_schedule_runs",
        "get_schedule_runs",
    }
)
