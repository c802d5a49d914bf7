"""The built agents: one per agent name and sampling parameters, never per user or chat.

An agent (team, workflow) is built once by its factory and reused by every request with the same
parameters; what differs per request (the user, the conversation, the request's system messages)
reaches it as run arguments.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from agno.agent import Agent
from agno.utils.agent import execute_instructions
from agno.workflow import Workflow

from agentllm import agents
from agentllm.provider.runs import Runner
from agentllm.provider.transformation import ModelParams

# Run metadata key under which the request's own system messages reach the agent's instructions.
REQUEST_SYSTEM_KEY = "agentllm_request_system"


def _with_request_system(agent: Runner) -> Runner:
    """Make ``agent`` append a request's system messages (from run metadata) to its instructions.
    A workflow has no instructions of its own: they reach its first step in its input."""
    if isinstance(agent, Workflow):
        return agent
    base = agent.instructions

    def instructions(agent: Agent, run_context: Any = None) -> list[str]:
        own: str | list[str] | None = (
            execute_instructions(base, agent=agent, run_context=run_context)
            if callable(base)
            else base
        )
        merged = [own] if isinstance(own, str) else list(own or [])
        metadata = getattr(run_context, "metadata", None) or {}
        merged.extend(metadata.get(REQUEST_SYSTEM_KEY) or [])
        return merged

    agent.instructions = instructions
    return agent


class AgentCache:
    """An LRU of built agents keyed by agent name and model parameters, never by user or chat."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._agents: OrderedDict[tuple[str, ModelParams, bool], Runner] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._agents)

    def get(self, name: str, params: ModelParams, stateful: bool) -> Runner:
        key = (name, params, stateful)
        with self._lock:
            agent = self._agents.get(key)
            if agent is not None:
                self._agents.move_to_end(key)
                return agent
        agent = _with_request_system(agents.get_agent(name, **params.as_kwargs()))
        if not stateful:
            agent.db = None
            if not isinstance(agent, Workflow):
                agent.add_history_to_context = False
                agent.read_chat_history = False
        with self._lock:
            agent = self._agents.setdefault(key, agent)
            self._agents.move_to_end(key)
            while len(self._agents) > self.size:
                self._agents.popitem(last=False)
        return agent
