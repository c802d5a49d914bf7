"""The agent registry: one module per agent in this package, plus ``agentllm.agents`` entry points.

An agent module defines ``AGENT = AgentSpec(name=..., description=..., factory=...)``. The factory
takes ``(temperature, max_tokens, **model_kwargs)`` and returns a ready ``agno.agent.Agent`` or
``agno.team.Team`` or ``agno.workflow.Workflow`` (served the same way). The
registry is the single source for routing (``agno/<name>``) and for ``/v1/models``.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol

from agno.agent import Agent
from agno.team import Team
from agno.workflow import Workflow

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "agentllm.agents"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class AgentFactory(Protocol):
    def __call__(
        self, temperature: float | None = None, max_tokens: int | None = None, **model_kwargs: Any
    ) -> Agent | Team | Workflow: ...


@dataclass(frozen=True)
class AgentSpec:
    """What an agent module declares."""

    name: str
    description: str
    factory: AgentFactory | Callable[..., Agent | Team | Workflow]
    # Seconds a run of this agent may take; None: AGENTLLM_REQUEST_TIMEOUT.
    timeout: float | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(
                f"agent name {self.name!r} must be lower-case letters, digits, '.', '_' or '-'"
            )
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"agent {self.name!r}: timeout must be positive seconds")


def _builtin_specs() -> list[AgentSpec]:
    specs = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        spec = getattr(module, "AGENT", None)
        if isinstance(spec, AgentSpec):
            specs.append(spec)
    return specs


def _entry_point_specs() -> list[AgentSpec]:
    specs = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = entry_point.load()
        except Exception:
            log.exception("could not load agent entry point %r", entry_point.name)
            continue
        if isinstance(spec, AgentSpec):
            specs.append(spec)
        else:
            log.error("entry point %r is not an AgentSpec; ignored", entry_point.name)
    return specs


@cache
def registry() -> dict[str, AgentSpec]:
    """Every known agent by name; built-in agents win over entry points with the same name."""
    found: dict[str, AgentSpec] = {}
    for spec in _entry_point_specs() + _builtin_specs():
        if spec.name in found and found[spec.name] is not spec:
            log.warning("agent %r is defined twice; the built-in one is used", spec.name)
        found[spec.name] = spec
    return dict(sorted(found.items()))


def agent_names() -> list[str]:
    """Names of all registered agents, sorted."""
    return list(registry())


def get_spec(name: str) -> AgentSpec:
    """The spec of agent ``name``; ``KeyError`` naming the available agents if unknown."""
    try:
        return registry()[name]
    except KeyError:
        raise KeyError(
            f"unknown agent {name!r}; available: {', '.join(agent_names()) or 'none'}"
        ) from None


def get_agent(
    name: str, temperature: float | None = None, max_tokens: int | None = None, **model_kwargs: Any
) -> Agent | Team | Workflow:
    """A new agent, team or workflow ``name`` with these model parameters; KeyError if unknown."""
    return get_spec(name).factory(temperature=temperature, max_tokens=max_tokens, **model_kwargs)
