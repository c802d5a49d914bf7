"""Reconciling what a client sends with what is stored: the agent sees each message exactly once.

Pure functions over plain data; the rule and its examples are in docs/conversations.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agentllm.provider.types import Turn


@dataclass(frozen=True)
class StoredRun:
    """A completed run of a stored conversation, reduced to its own user/assistant turns."""

    run_id: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Plan:
    """How to run one turn of a conversation.

    ``use_stored_history``: let the agent add the stored history itself (the client sent none).
    ``replay``: earlier turns the agent sees, already stored by earlier runs (not stored again).
    ``record``: earlier turns the agent sees that the store lacks; stored with this run.
    ``superseded``: stored runs the client's history replaced (edited or regenerated).
    """

    use_stored_history: bool
    replay: tuple[Turn, ...] = ()
    record: tuple[Turn, ...] = ()
    superseded: tuple[str, ...] = ()


def _same(a: Turn, b: Turn) -> bool:
    """Same role, words and images: whitespace is not an edit (clients re-render line breaks,
    and a reply whose shown tool calls were taken out keeps the blank lines around them). Images
    compare by content (SHA-256) or URL: a stored image is a reference, not its bytes."""
    return a.role == b.role and a.content.split() == b.content.split() and a.images == b.images


def _matches(turns: Sequence[Turn], history: Sequence[Turn], start: int) -> bool:
    if start + len(turns) > len(history):
        return False
    return all(_same(t, history[start + i]) for i, t in enumerate(turns))


def needs_stored_runs(history: Sequence[Turn], full_history: bool = False) -> bool:
    """Whether ``reconcile`` looks at the stored runs: not for a newest-message-only request."""
    return bool(history) or full_history


def reconcile(
    stored: Iterable[StoredRun], history: Sequence[Turn], full_history: bool = False
) -> Plan:
    """Plan a turn given the stored runs (oldest first) and the client's earlier turns.

    No client history from a client that may send only the newest message: the stored
    conversation is the context. Otherwise (``full_history``: the client always sends the whole
    conversation, or it sent earlier turns) the client's version wins: stored runs that agree
    with it, in order, are replayed; the first run that disagrees and
    every run after it are superseded; the client's remaining turns are recorded with this run,
    so later turns that send only the newest message follow the client's version.
    """
    if not needs_stored_runs(history, full_history):
        return Plan(use_stored_history=True)
    runs = list(stored)
    position = 0
    kept = 0
    for run in runs:
        if not _matches(run.turns, history, position):
            break
        position += len(run.turns)
        kept += 1
    return Plan(
        use_stored_history=False,
        replay=tuple(history[:position]),
        record=tuple(history[position:]),
        superseded=tuple(run.run_id for run in runs[kept:]),
    )


def spelled_out(plan: Plan, stored: Sequence[StoredRun]) -> Plan:
    """``plan`` for a runner that does not read its own history (an Agno workflow): where the
    stored conversation would be the context, its turns are replayed instead."""
    if not plan.use_stored_history:
        return plan
    return Plan(use_stored_history=False, replay=tuple(t for run in stored for t in run.turns))


def plan_turn(
    stored: Sequence[StoredRun],
    history: Sequence[Turn],
    full_history: bool = False,
    reads_own_history: bool = True,
) -> Plan:
    """The whole decision for one turn of a stored conversation: ``reconcile``, and for a runner
    that does not read its own history, the stored turns ``spelled_out``."""
    plan = reconcile(stored, history, full_history)
    return plan if reads_own_history else spelled_out(plan, stored)
