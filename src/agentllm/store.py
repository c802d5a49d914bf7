"""The conversation store: Agno's own database classes, plus what a turn needs (docs/storage.md).

:class:`ConversationStore` sits on Agno's ``SqliteDb`` / ``PostgresDb`` and changes nothing about
how Agno reads or writes. It adds:

- :meth:`ConversationStore.aturn`: hold the conversation for the whole turn (``agentllm.locks``:
  across processes on PostgreSQL) and collect what happened to the turn's writes;
- a report from Agno's ``upsert_session`` / ``upsert_run`` to that turn. Agno logs and swallows a
  failed write, and treats a refused one (``None``) as done; without the report a turn the
  database did not take would still be answered 200;
- writes off the event loop: Agno calls a synchronous database from ``arun``, on the loop; in a
  turn, those writes wait in the turn's record and :meth:`ConversationStore.flush` makes them in
  a worker thread before the reply ends.

There is no cache of conversations: every turn reads its conversation from the database (Agno
re-parses only runs whose stored text changed; a long conversation is read only as far back as
the agent looks), so a process sees the turns, deletions and renames of every other process.
Writes are Agno's own, committed before the turn's reply ends and before its lock is released,
so nothing waits in a queue at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agno.db.base import SessionType

from agentllm.locks import ConversationLocks

if TYPE_CHECKING:  # the mixin's contract: what Agno's SQL databases offer
    from agno.db.sqlite import SqliteDb as _SqlDb
else:
    _SqlDb = object

log = logging.getLogger("agentllm.store")
# A conversation with more runs than this is read only as far back as the agent looks
# (``is_long``); measured on 2 cores, docs/BENCHMARKS.md.
LONG_CONVERSATION = 100
# How many conversations' lengths the store remembers.
RUN_COUNTS = 10_000

# Agno's BaseDb methods about sessions and runs, and what the store does with each. A test fails
# when an Agno upgrade adds one that is in neither set, so the upgrade is looked at.
OVERRIDDEN = frozenset({"upsert_session", "upsert_run", "get_session"})
PASSED_THROUGH = frozenset(
    {
        # Reads: straight from the database, nothing here can be stale.
        "get_sessions",
        "get_run",
        "get_runs",
        "get_tool_results_for_session",
        "get_compactions_for_session",
        "list_transcript_sessions",
        # Writes outside a turn (Agno's tools, AgentOS, an operator): straight to the database.
        "upsert_sessions",
        "delete_session",
        "delete_sessions",
        "rename_session",
        "reassign_session_owner",
        "delete_run",
        "delete_runs",
        "cancel_pending_run",
        "delete_compactions_for_session",
        "update_approval_run_status",
        # Not conversations: evaluations, schedules, background tasks.
        "create_eval_run",
        "delete_eval_runs",
        "get_eval_run",
        "get_eval_runs",
        "rename_eval_run",
        "update_eval_run_user_id",
        "start_task_run",
        "complete_task_run",
        "delete_schedule_runs",
        "create_schedule_run",
        "update_schedule_run",
        "get_schedule_run",
        "get_latest_schedule_runs",
        "get_schedule_runs",
    }
)


@dataclass
class TurnWrites:
    """What happened to the writes of one turn of one conversation."""

    session_id: str
    writes: int = 0
    failures: list[str] = field(default_factory=list)
    # The conversation as the handler read it in this turn, kept for Agno's own read (below).
    read: tuple[tuple[Any, ...], Any] | None = None
    # Writes Agno made on the event loop, made by :meth:`ConversationStore.flush` in a thread.
    pending: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        """Every write of the turn was committed."""
        return not self.failures


class TurnRefused(RuntimeError):
    """A write of a turn whose earlier write the database refused (Agno logs and drops it)."""


class ConversationStore(_SqlDb):
    """Mixin over an Agno ``SqliteDb`` / ``PostgresDb`` (see the module docstring)."""

    def __init__(self, *args: Any, locks: ConversationLocks, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Database errors are logged (by Agno, and by us): never with the statement's parameters,
        # which hold the conversation.
        self.db_engine.hide_parameters = True
        self.locks = locks
        self._turns: dict[str, list[TurnWrites]] = {}
        self._turns_lock = threading.Lock()
        # How many runs each conversation had when this process last read all of them: only a
        # hint for how to read it next (a stale one costs time, never correctness).
        self._run_counts: OrderedDict[str, int] = OrderedDict()

    @asynccontextmanager
    async def aturn(self, session_id: str, timeout: float) -> AsyncIterator[TurnWrites]:
        """Hold the conversation for a turn; the yielded record collects its writes."""
        async with self.locks.hold(session_id, timeout):
            with self._recording(session_id) as writes:
                yield writes

    def read_for_turn(
        self,
        session_id: str,
        user_id: str | None,
        session_type: SessionType = SessionType.AGENT,
        runs_limit: int | None = None,
    ) -> Any:
        """Read the conversation for the turn that holds it (:meth:`aturn`), with its newest
        ``runs_limit`` runs (None: all); Agno's own read of the same session in the same turn
        gets this one instead of querying again. Nothing else can change the conversation in
        between: the turn holds its lock."""
        found = super().get_session(
            session_id, session_type, user_id=user_id, runs_limit=runs_limit
        )
        with self._turns_lock:
            for writes in self._turns.get(session_id, ()):
                writes.read = ((session_type, user_id), found)
        return found

    def is_long(self, session_id: str) -> bool:
        """Whether the conversation had more than ``LONG_CONVERSATION`` runs at its last full
        read in this process. Reading only its newest runs then saves time; for a shorter one a
        full read is cheaper, because it serves the runs that did not change from Agno's cache
        of parsed runs, where a limited read parses every run it returns."""
        with self._turns_lock:
            return self._run_counts.get(session_id, 0) > LONG_CONVERSATION

    def note_runs(self, session_id: str, count: int) -> None:
        """Remember that a full read found ``count`` runs (for the newest ``RUN_COUNTS``
        conversations)."""
        with self._turns_lock:
            self._run_counts[session_id] = count
            self._run_counts.move_to_end(session_id)
            while len(self._run_counts) > RUN_COUNTS:
                self._run_counts.popitem(last=False)

    def get_session(
        self,
        session_id: str,
        session_type: Any = None,
        user_id: str | None = None,
        deserialize: bool | None = True,
        runs_limit: int | None = None,
    ) -> Any:
        """Agno's read; the first one after :meth:`read_for_turn` in a turn is served by it."""
        if deserialize and runs_limit is None:
            with self._turns_lock:
                for writes in self._turns.get(session_id, ()):
                    if writes.read is not None and writes.read[0] == (session_type, user_id):
                        found, writes.read = writes.read[1], None
                        return found
        return super().get_session(
            session_id,
            session_type,
            user_id=user_id,
            deserialize=deserialize,
            runs_limit=runs_limit,
        )

    def close(self) -> None:
        """Release the lock connections and the database's connection pool."""
        self.locks.close()
        self.db_engine.dispose()

    # --- Agno's writes, reported to the turn that made them ------------------------------------

    def upsert_session(self, session: Any, deserialize: bool | None = True) -> Any:
        """Agno's write of a session row; made later, off the loop, when made in a turn on the
        event loop (:meth:`flush`)."""
        session_id = getattr(session, "session_id", None)
        if self._defer(session_id, lambda: self._upsert_session(session, deserialize)):
            return session
        return self._upsert_session(session, deserialize)

    def upsert_run(
        self, run: Any, session_id: str, user_id: str | None = None, run_index: int | None = None
    ) -> None:
        """Agno's write of a run; made later, off the loop, when made in a turn on the event loop
        (:meth:`flush`). ``run_index`` is left to the database, which gives a new run the next
        index of its session (and keeps an existing run's): Agno computes it as the run's
        position in the session it read, which a turn may have read only the newest runs of
        (:meth:`read_for_turn`)."""
        if not self._defer(session_id, lambda: self._upsert_run(run, session_id, user_id)):
            self._upsert_run(run, session_id, user_id)

    def flush(self, writes: TurnWrites) -> None:
        """Make the writes Agno made on the event loop in this turn, in order. Blocking: called
        in a worker thread, before the turn's reply ends. A failed write is reported to the turn
        (and logged), not raised, as Agno does."""
        while writes.pending:
            write = writes.pending.pop(0)
            with suppress(Exception):
                write()

    def _upsert_session(self, session: Any, deserialize: bool | None) -> Any:
        session_id = getattr(session, "session_id", None)
        try:
            stored = super().upsert_session(session, deserialize=deserialize)
        except Exception as exc:
            self._report(session_id, describe_error(exc))
            raise
        if stored is None:
            # Agno's ownership check: the row exists under another user_id.
            self._report(session_id, "the database kept the session of another user")
        else:
            self._report(session_id, None)
        return stored

    def _upsert_run(self, run: Any, session_id: str, user_id: str | None) -> None:
        if self._refused(session_id):
            # The turn's session write failed: its run must not land in a session it does not
            # own (Agno reads a session's runs by session id alone).
            raise TurnRefused(f"not storing a run of session {session_id}: the session was not")
        try:
            super().upsert_run(run, session_id=session_id, user_id=user_id, run_index=None)
        except Exception as exc:
            self._report(session_id, describe_error(exc))
            raise
        self._report(session_id, None)

    def _defer(self, session_id: str | None, write: Callable[[], Any]) -> bool:
        """Keep ``write`` for its turn's :meth:`flush` if it is made on an event loop (Agno calls
        a synchronous database from ``arun``) while a turn holds the conversation."""
        if session_id is None or not _on_event_loop():
            return False
        with self._turns_lock:
            turns = self._turns.get(session_id)
            if not turns:
                return False
            turns[-1].pending.append(write)
        return True

    # --- internals ----------------------------------------------------------------------------

    @contextmanager
    def _recording(self, session_id: str) -> Iterator[TurnWrites]:
        writes = TurnWrites(session_id)
        with self._turns_lock:
            self._turns.setdefault(session_id, []).append(writes)
        try:
            yield writes
        finally:
            with self._turns_lock:
                left = [w for w in self._turns.get(session_id, ()) if w is not writes]
                if left:
                    self._turns[session_id] = left
                else:
                    self._turns.pop(session_id, None)

    def _refused(self, session_id: str) -> bool:
        with self._turns_lock:
            return any(not w.stored for w in self._turns.get(session_id, ()))

    def _report(self, session_id: str | None, failure: str | None) -> None:
        if failure is not None:
            log.error("could not store a turn of session %s: %s", session_id, failure)
        if session_id is None:
            return
        with self._turns_lock:
            turns = list(self._turns.get(session_id, ()))
        for writes in turns:
            writes.writes += 1
            if failure is not None:
                writes.failures.append(failure)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def describe_error(exc: BaseException) -> str:
    """A database error without the statement's parameters (they hold the conversation)."""
    orig = getattr(exc, "orig", None)
    shown = orig if isinstance(orig, BaseException) else exc
    return f"{type(shown).__name__}: {str(shown).splitlines()[0] if str(shown) else ''}"
