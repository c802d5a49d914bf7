"""Agno (3.1.x): callable instructions, and the private model methods our model classes override.

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
