"""Third-party internals in one place (placeholder; completed on the compat branch)."""

from __future__ import annotations

from typing import Any


def instructions_of(base: Any, agent: Any, run_context: Any) -> Any:
    """An agent's instructions given as a function, evaluated as Agno does for a run."""
    from agno.utils.agent import execute_instructions

    return execute_instructions(base, agent=agent, run_context=run_context)
