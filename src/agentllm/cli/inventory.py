"""The registered agents as built right now: what ``agentllm agents`` lists and ``doctor`` calls.

An agent is built through the registry, as the proxy builds it, so the model shown is the one it
really runs on (``AGENTLLM_MODEL``, or the agent's own default when a key allows it). Agents open
the shared database when they are built, and SQLite serves one process
(:func:`agentllm.db.claim_sqlite`): so that listing agents never takes the database from a running
proxy, they are built here against a throw-away SQLite file, deleted afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agno.models.base import Model
from agno.team import Team
from agno.workflow import Workflow

from agentllm import agents
from agentllm.config import settings
from agentllm.db import close_all


@dataclass(frozen=True)
class AgentInfo:
    """One registered agent, team or workflow, and the model it runs on."""

    name: str
    kind: str  # agent, team or workflow
    description: str
    model: str  # the model's id ("-" for a workflow whose steps run no agent)
    provider: str
    runner: Any  # the built agno Agent, Team or Workflow


def kind_of(runner: Any) -> str:
    """``agent``, ``team`` or ``workflow``: what the registry's factory built."""
    if isinstance(runner, Team):
        return "team"
    return "workflow" if isinstance(runner, Workflow) else "agent"


def model_of(runner: Any) -> Model | None:
    """The model a built agent or team (its leader) runs on; for a workflow, the first step's."""
    model = getattr(runner, "model", None)
    if isinstance(model, Model):
        return model
    steps = getattr(runner, "steps", None)
    for step in steps if isinstance(steps, list) else []:
        executor = getattr(step, "agent", None) or getattr(step, "team", None)
        if executor is not None and (found := model_of(executor)) is not None:
            return found
    return None


@contextmanager
def _throwaway_database() -> Iterator[None]:
    """``AGENTLLM_DB_URL`` pointing at a temporary SQLite file while agents are built (the
    settings are read again on the way in and out: they are cached)."""
    previous = os.environ.get("AGENTLLM_DB_URL")
    with tempfile.TemporaryDirectory(prefix="agentllm-cli-") as folder:
        os.environ["AGENTLLM_DB_URL"] = f"sqlite:///{folder}/agents.db"
        settings.cache_clear()
        try:
            yield
        finally:
            close_all()
            if previous is None:
                os.environ.pop("AGENTLLM_DB_URL", None)
            else:
                os.environ["AGENTLLM_DB_URL"] = previous
            settings.cache_clear()


@contextmanager
def built_agents(**params: Any) -> Iterator[list[AgentInfo]]:
    """Every registered agent built with model ``params`` (``max_tokens=1``…), by name."""
    with _throwaway_database():
        found = []
        for spec in agents.registry().values():
            runner = spec.factory(**params)
            model = model_of(runner)
            found.append(
                AgentInfo(
                    name=spec.name,
                    kind=kind_of(runner),
                    description=spec.description,
                    model=model.id if model is not None else "-",
                    provider=(model.provider or type(model).__name__) if model is not None else "-",
                    runner=runner,
                )
            )
        yield found
