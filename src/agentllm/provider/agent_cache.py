"""The built agents: one per agent name and sampling parameters, never per user or chat.

An agent (team, workflow) is built once by its factory, in a worker thread (a factory may be slow:
the event loop never waits for it), and reused by every request with the same parameters; what
differs per request (the user, the conversation, the request's system messages) reaches it as run
arguments. Agno takes sampling parameters only when its model is built (``Agent.arun`` has none),
so they are part of the key: a new temperature costs one build, off the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from agentllm import agents
from agentllm.provider.kinds import Kind, Runner, kind_of
from agentllm.provider.types import ModelParams

Key = tuple[str, ModelParams, bool]


@dataclass(frozen=True)
class Served:
    """A built agent (team, workflow) ready to serve, with the adapter for its kind."""

    runner: Runner
    kind: Kind

    @property
    def db(self) -> Any:
        return self.runner.db


def build(name: str, params: ModelParams, stateful: bool) -> Served:
    """Agent ``name`` with ``params``, made ready to serve (``stateful`` false: stores nothing)."""
    runner = agents.get_agent(name, **params.as_kwargs())
    kind = kind_of(runner)
    return Served(kind.serve(runner, stateful), kind)


class AgentCache:
    """An LRU of built agents keyed by agent name and model parameters, never by user or chat."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._agents: OrderedDict[Key, Served] = OrderedDict()
        self._lock = threading.Lock()
        # Builds under way, so that concurrent requests for one key wait for one build.
        self._building: dict[Key, asyncio.Task[Served]] = {}

    def __len__(self) -> int:
        return len(self._agents)

    def cached(self, key: Key) -> Served | None:
        with self._lock:
            served = self._agents.get(key)
            if served is not None:
                self._agents.move_to_end(key)
            return served

    def _keep(self, key: Key, served: Served) -> Served:
        with self._lock:
            served = self._agents.setdefault(key, served)
            self._agents.move_to_end(key)
            while len(self._agents) > self.size:
                self._agents.popitem(last=False)
        return served

    async def get(self, name: str, params: ModelParams, stateful: bool) -> Served:
        """The agent for this key, built in a worker thread on a miss (one build per key, which
        goes on if the request that started it is cancelled)."""
        key = (name, params, stateful)
        if (served := self.cached(key)) is not None:
            return served
        task = self._building.get(key)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(self._build(key))
            self._building[key] = task
        return await asyncio.shield(task)

    async def _build(self, key: Key) -> Served:
        try:
            return self._keep(key, await asyncio.to_thread(build, *key))
        finally:
            self._building.pop(key, None)
