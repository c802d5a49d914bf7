"""An agent's stored Agno runs as turns, and a turn as Agno messages: the Agno side of
reconciliation (``conversation`` holds the rule, over plain turns; ``workflows`` reads a
workflow's runs). No I/O here: the turn's storage (``storage``) reads and writes.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from agno.models.message import Message
from agno.run.base import HISTORY_SKIP_STATUSES

from agentllm.provider.conversation import Plan, StoredRun
from agentllm.provider.media import agno_images, message_images
from agentllm.provider.types import ChatRequest, Turn

# The turns of each stored run, by run object: a conversation's runs come back as the same
# objects turn after turn (the SQLite store's memory, Agno's cache of parsed runs), and a stored
# run's messages do not change (Agno copies a run before changing it). Bounded; an entry is used
# only while its run object lives.
TURNS_KEPT = 20_000
_turns: OrderedDict[int, tuple[weakref.ref[Any], tuple[Turn, ...]]] = OrderedDict()


def agent_turns(runs: list) -> list[StoredRun]:
    """An agent's (team's) runs that make up the conversation's history, reduced to their own
    turns."""
    return [
        StoredRun(run_id=str(run.run_id), turns=_run_turns(run))
        for run in runs
        if run.status not in HISTORY_SKIP_STATUSES and not getattr(run, "parent_run_id", None)
    ]


def _run_turns(run: Any) -> tuple[Turn, ...]:
    kept = _turns.get(id(run))
    if kept is not None and kept[0]() is run:
        _turns.move_to_end(id(run))
        return kept[1]
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
    _turns[id(run)] = (weakref.ref(run), tuple(turns))
    while len(_turns) > TURNS_KEPT:
        _turns.popitem(last=False)
    return tuple(turns)


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
    """The messages for a run: replayed turns are marked as history, not stored twice (the store
    keeps them out of the run's stored input: ``agentllm.turn_writes.drop_replayed_input``)."""
    messages = [agno_message(t, from_history=True) for t in plan.replay]
    messages += [agno_message(t) for t in plan.record]
    messages.append(agno_message(Turn("user", request.message, request.images)))
    return messages


def agent_input(request: ChatRequest, plan: Plan) -> list[Message | dict[str, Any]]:
    """``run_input`` for ``Agent.arun``, the replayed turns as the dicts Agno's ``arun`` takes
    for messages (it validates each into a ``Message``): at the end of a run Agno serializes the
    run's whole input (``RunInput.input_content_string``), and a ``Message`` costs it about
    60 us there, a dict almost nothing. A client that sends a history of 400 messages would
    otherwise pay 25 ms a turn for it (docs/BENCHMARKS.md, scenario 8)."""
    replayed = [
        {
            "role": t.role,
            "content": t.content if t.content or not t.images else None,  # as agno_message
            "images": agno_images(t.images),
            "from_history": True,
        }
        for t in plan.replay
    ]
    return [*replayed, *run_input(request, replace(plan, replay=()))]
