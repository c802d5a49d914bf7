"""What one turn writes, and what happened to it: the record the conversation store keeps for a
turn (``agentllm.store``), and what of a run's input is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass
class TurnWrites:
    """What happened to the writes of one turn of one conversation."""

    session_id: str
    writes: int = 0
    failures: list[str] = field(default_factory=list)
    # The conversation as the handler read it in this turn, kept for Agno's own read
    # (``ConversationStore.get_session``).
    read: tuple[tuple[Any, ...], Any] | None = None
    # Writes Agno made on the event loop, made by ``ConversationStore.flush`` in a thread.
    pending: list[Callable[[], Any]] = field(default_factory=list)
    # The session Agno wrote in this turn, the runs it holds (``Kept.window``), its runs' ids,
    # and each run as a read of the database would give it back (``ConversationStore._upsert_run``).
    session: Any = None
    window: int | None = None
    run_ids: set[str] = field(default_factory=set)
    stored_runs: dict[str, Any] = field(default_factory=dict)

    @property
    def stored(self) -> bool:
        """Every write of the turn was committed."""
        return not self.failures


class TurnRefused(RuntimeError):
    """A write of a turn whose earlier write the database refused (Agno logs and drops it)."""


def drop_replayed_input(run: Any) -> None:
    """Keep in a run's stored input only the messages it adds: not the earlier turns a client sent
    again, which a turn replays to the agent marked ``from_history`` (``provider.runs``) and
    earlier runs already hold. Agno stores a run's input (a team's: its additional input) whole;
    kept, every run of a client that sends its whole history would hold that history again.
    ``run`` is Agno's storage copy of the run: the lists are replaced, not changed, so the
    running run keeps its own."""
    given = getattr(run, "input", None)
    content = getattr(given, "input_content", None)
    if given is not None and isinstance(content, list):
        added = [m for m in content if not _from_history(m)]
        if len(added) != len(content):
            run.input = replace(given, input_content=added)
    extra = getattr(run, "additional_input", None)
    if isinstance(extra, list) and any(_from_history(m) for m in extra):
        run.additional_input = [m for m in extra if not _from_history(m)]


def _from_history(message: Any) -> bool:
    if isinstance(message, dict):
        return bool(message.get("from_history"))
    return bool(getattr(message, "from_history", False))


def describe_error(exc: BaseException) -> str:
    """A database error without the statement's parameters (they hold the conversation)."""
    orig = getattr(exc, "orig", None)
    shown = orig if isinstance(orig, BaseException) else exc
    return f"{type(shown).__name__}: {str(shown).splitlines()[0] if str(shown) else ''}"
