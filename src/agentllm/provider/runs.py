"""A conversation's stored Agno runs as turns, and a turn as Agno messages: the Agno side of
reconciliation (``conversation`` holds the rule, over plain turns). Runs are an agent's, a
team's or a workflow's; reading and marking them is the only I/O here, through its database.
"""

from __future__ import annotations

from agno.agent import Agent
from agno.db.base import SessionType
from agno.models.message import Message
from agno.run.base import HISTORY_SKIP_STATUSES, RunStatus
from agno.run.workflow import WorkflowRunOutput
from agno.team import Team
from agno.workflow import Workflow

from agentllm.provider.conversation import Plan, StoredRun
from agentllm.provider.images import agno_images, message_images
from agentllm.provider.transformation import ChatRequest, Turn
from agentllm.provider.workflows import workflow_turns
from agentllm.store import ConversationStore

# What an agno/<name> model runs: an Agno Agent, Team or Workflow (the same run interface).
Runner = Agent | Team | Workflow


def session_type(runner: Runner) -> SessionType:
    """The kind of Agno session ``runner`` stores its conversations in."""
    if isinstance(runner, Workflow):
        return SessionType.WORKFLOW
    return SessionType.TEAM if isinstance(runner, Team) else SessionType.AGENT


def session_runs(agent: Runner, session_id: str, user_id: str) -> list:
    """Every stored run of the agent's (team's, workflow's) session, oldest first (one read)."""
    db = agent.db
    if db is None:
        return []
    kind = session_type(agent)
    if isinstance(db, ConversationStore):
        session = db.read_for_turn(session_id, user_id, kind)  # Agno's own read reuses it
    else:
        session = db.get_session(session_id=session_id, session_type=kind, user_id=user_id)
    return list(getattr(session, "runs", None) or [])


def completed_turns(runs: list) -> list[StoredRun]:
    """The runs that make up the conversation's history, reduced to their own turns."""
    if runs and isinstance(runs[0], WorkflowRunOutput):
        return workflow_turns(runs)
    found = []
    for run in runs:
        if run.status in HISTORY_SKIP_STATUSES or getattr(run, "parent_run_id", None):
            continue
        turns: list[Turn] = []
        after_tools = False  # a tool ran since the last turn
        for m in run.messages or []:
            if m.from_history or m.temporary:
                continue
            if m.role == "tool" or m.tool_calls:
                after_tools = True
            text, images = m.get_content_string(), message_images(m)
            if m.role not in ("user", "assistant") or not (text or images):
                continue
            if m.role == "assistant" and after_tools and turns and turns[-1].role == "assistant":
                # The text before and after the run's tool calls: one reply to the client.
                turns[-1] = Turn("assistant", f"{turns[-1].content}\n{text}", turns[-1].images)
            else:
                turns.append(Turn("user" if m.role == "user" else "assistant", text, images))
            after_tools = False
        found.append(StoredRun(run_id=str(run.run_id), turns=tuple(turns)))
    return found


def mark_superseded(
    agent: Runner, session_id: str, user_id: str, runs: list, run_ids: tuple[str, ...]
) -> None:
    """Keep replaced runs on disk but out of the history, as Agno does for regenerated runs."""
    if agent.db is None:
        return
    for run in runs:
        if run.run_id in run_ids:
            run.status = RunStatus.regenerated
            agent.db.upsert_run(run, session_id=session_id, user_id=user_id)


def agno_message(turn: Turn, from_history: bool = False) -> Message:
    """A turn as an Agno message. A message of images only has no text: Gemini refuses an empty
    text part."""
    return Message(
        role=turn.role,
        content=turn.content if turn.content or not turn.images else None,
        images=agno_images(turn.images),
        from_history=from_history,
    )


def run_input(request: ChatRequest, plan: Plan) -> list[Message]:
    """The messages for ``agent.run``: replayed turns are marked as history, not stored twice."""
    messages = [agno_message(t, from_history=True) for t in plan.replay]
    messages += [agno_message(t) for t in plan.record]
    messages.append(agno_message(Turn("user", request.message, request.images)))
    return messages
