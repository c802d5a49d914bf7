"""One adapter per kind of runner an ``agno/<name>`` model can be: an Agno ``Agent``, ``Team`` or
``Workflow``. Each says how it is prepared for serving, called for a turn, read back from the
store, translated into reply items, and what it refuses. :func:`kind_of` is the only place that
asks which kind a runner is; adding a kind is a class here and a line in ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from agno.agent import Agent
from agno.db.base import SessionType
from agno.models.message import Message
from agno.team import Team
from agno.workflow import Workflow

from agentllm.compat import agno as compat_agno
from agentllm.provider.conversation import Plan, StoredRun
from agentllm.provider.events import AGENT_EVENTS, TEAM_EVENTS, Vocabulary, run_item
from agentllm.provider.media import accepts_images, no_images
from agentllm.provider.runs import agent_input, agent_turns, run_input
from agentllm.provider.types import ChatRequest, Item
from agentllm.provider.workflows import WorkflowReply, workflow_turns
from agentllm.provider.workflows import no_images as workflow_no_images

# What an agno/<name> model runs.
Runner = Agent | Team | Workflow
# Run metadata key under which the request's own system messages reach the agent's instructions.
REQUEST_SYSTEM_KEY = "agentllm_request_system"
# One run call: what to run, its input and its keyword arguments.
Call = tuple[Runner, Any, dict[str, Any]]


def _with_request_system(agent: Agent | Team) -> None:
    """Make ``agent`` append a request's system messages (from run metadata) to its
    instructions, which may themselves be a function of the run."""
    base = agent.instructions

    def instructions(agent: Agent, run_context: Any = None) -> list[str]:
        own = compat_agno.instructions_of(base, agent, run_context) if callable(base) else base
        merged = [own] if isinstance(own, str) else list(own or [])
        metadata = getattr(run_context, "metadata", None) or {}
        merged.extend(metadata.get(REQUEST_SYSTEM_KEY) or [])
        return merged

    agent.instructions = instructions


class AgentKind:
    """An Agno ``Agent``: reads its own history from the store, takes a list of messages."""

    session_type = SessionType.AGENT
    reads_own_history = True
    events: Vocabulary = AGENT_EVENTS

    def serve(self, runner: Any, stateful: bool) -> Runner:
        """``runner`` made ready to serve requests; ``stateful`` false: it stores nothing."""
        _with_request_system(runner)
        if not stateful:
            runner.db = None
            runner.add_history_to_context = False
            runner.read_chat_history = False
        return runner

    def history_window(self, runner: Any) -> int | None:
        """How many of its newest stored runs the agent reads as history (None: all of them)."""
        window = runner.num_history_runs
        if runner.num_history_messages is None and isinstance(window, int) and window > 0:
            return window
        return None

    def refuses_images(self, runner: Any, model: str) -> str | None:
        """Why ``runner`` cannot be given images (None: it can)."""
        return None if accepts_images(runner.model) else no_images(model, runner.model)

    def call(self, runner: Any, request: ChatRequest, plan: Plan, kwargs: dict[str, Any]) -> Call:
        return runner, agent_input(request, plan), self.run_kwargs(request, plan, kwargs)

    @staticmethod
    def run_kwargs(request: ChatRequest, plan: Plan, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs = {
            **kwargs,
            "yield_run_output": True,
            "add_history_to_context": plan.use_stored_history,
        }
        if request.system:
            kwargs["metadata"] = {REQUEST_SYSTEM_KEY: list(request.system)}
        return kwargs

    def translator(self, runner: Any, model: str) -> Callable[[Any], Iterable[Item]]:
        names = self.events

        def items(event: Any) -> Iterable[Item]:
            item = run_item(event, model, names)
            return () if item is None else (item,)

        return items

    def turns(self, runs: list[Any]) -> list[StoredRun]:
        """The stored runs that make up the conversation, as turns."""
        return agent_turns(runs)


class TeamKind(AgentKind):
    """An Agno ``Team``: like an agent, but it takes one message per run and only its own
    (leader's) events make the reply."""

    session_type = SessionType.TEAM
    events = TEAM_EVENTS

    def history_window(self, runner: Any) -> int | None:
        return None  # a team reads its members' runs of the session too

    def call(self, runner: Any, request: ChatRequest, plan: Plan, kwargs: dict[str, Any]) -> Call:
        kwargs = self.run_kwargs(request, plan, kwargs)
        # A team flattens a list into one message: earlier turns reach its leader as the team's
        # additional input, on a copy for this run only.
        *earlier, newest = run_input(request, plan)
        team = runner
        if earlier:
            team = team.deep_copy(update={"additional_input": earlier})
        # Its images go beside the text: a team stores an input message's images as bytes
        # (its run then cannot be written), but the images of a run as references.
        return team, newest.get_content_string(), {**kwargs, "images": newest.images}


class WorkflowKind:
    """An Agno ``Workflow``: only its first step sees the conversation, which it does not read
    from the store itself, so the stored turns are replayed to it every turn."""

    session_type = SessionType.WORKFLOW
    reads_own_history = False

    def serve(self, runner: Any, stateful: bool) -> Runner:
        # A workflow has no instructions of its own: the request's system messages reach its
        # first step in its input.
        if not stateful:
            runner.db = None
        return runner

    def history_window(self, runner: Any) -> int | None:
        return None  # every stored turn is replayed to its first step

    def refuses_images(self, runner: Any, model: str) -> str | None:
        return workflow_no_images(model)

    def call(self, runner: Any, request: ChatRequest, plan: Plan, kwargs: dict[str, Any]) -> Call:
        system = [Message(role="system", content=text) for text in request.system]
        return runner, system + run_input(request, plan), kwargs

    def translator(self, runner: Any, model: str) -> Callable[[Any], Iterable[Item]]:
        return WorkflowReply(runner, model).items

    def turns(self, runs: list[Any]) -> list[StoredRun]:
        return workflow_turns(runs)


Kind = AgentKind | WorkflowKind
# Most specific first: a Team is not an Agent, but a subclass would be tried in order.
KINDS: tuple[tuple[type, Kind], ...] = (
    (Workflow, WorkflowKind()),
    (Team, TeamKind()),
    (Agent, AgentKind()),
)


def kind_of(runner: Any) -> Kind:
    """The adapter for ``runner``; ``TypeError`` for anything an agent factory may not return."""
    for cls, kind in KINDS:
        if isinstance(runner, cls):
            return kind
    raise TypeError(
        f"an agent factory returned {type(runner).__name__}; expected an Agno Agent, Team or "
        "Workflow"
    )
