"""The conversation store: Agno's own database classes, plus what a turn needs (docs/storage.md).

:class:`ConversationStore` sits on Agno's ``SqliteDb`` / ``PostgresDb`` and changes nothing about
how Agno reads or writes. It adds:

- :meth:`ConversationStore.aturn`: hold the conversation for the whole turn (``agentllm.locks``:
  across processes on PostgreSQL) and collect what happened to the turn's writes;
- a report from Agno's ``upsert_session`` / ``upsert_run`` to that turn. Agno logs and swallows a
  failed write, and treats a refused one (``None``) as done; without the report a turn the
  database did not take would still be answered 200;
- the database off the event loop: Agno calls a synchronous database from ``arun``, on the loop;
  in a turn, those writes wait in the turn's record and :meth:`ConversationStore.flush` makes them
  off the loop before the reply ends: on SQLite in one thread of the store's own (the file takes
  one writer at a time), on PostgreSQL in the default thread pool. Reads run in that pool;
- on SQLite, which one process serves, the conversations it stored kept in memory
  (``agentllm.session_cache``): a conversation's next turn is not read back from the file. Any
  write that is not a turn's forgets them all. On PostgreSQL every turn reads its conversation, so
  a process sees the turns, deletions and renames of every other process.

Writes are Agno's own, committed before the turn's reply ends and before its lock is released,
so nothing waits in a queue at shutdown.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

from agno.db.base import SessionType

from agentllm.compat.agno import FORGETTING
from agentllm.locks import ConversationLocks
from agentllm.session_cache import RunCounts, SessionCache
from agentllm.turn_writes import TurnRefused, TurnWrites, describe_error, drop_replayed_input

if TYPE_CHECKING:  # the mixin's contract: what Agno's SQL databases offer
    from agno.db.sqlite import SqliteDb as _SqlDb
else:
    _SqlDb = object

log = logging.getLogger("agentllm.store")

T = TypeVar("T")


class ConversationStore(_SqlDb):
    """Mixin over an Agno ``SqliteDb`` / ``PostgresDb`` (see the module docstring)."""

    def __init__(
        self, *args: Any, locks: ConversationLocks, exclusive: bool = False, **kwargs: Any
    ) -> None:
        """``exclusive``: this process is the database's only user (SQLite, ``claim_sqlite``):
        conversations are kept in memory and writes are made in one thread."""
        super().__init__(*args, **kwargs)
        # Database errors are logged (by Agno, and by us): never with the statement's parameters,
        # which hold the conversation.
        self.db_engine.hide_parameters = True
        self.locks = locks
        self.cache = SessionCache() if exclusive else None
        self._exclusive = exclusive
        self._thread: ThreadPoolExecutor | None = None  # started on the first write
        self._turns: dict[str, list[TurnWrites]] = {}
        self._turns_lock = threading.Lock()
        self.run_counts = RunCounts()

    async def write(self, blocking: Callable[..., T], *args: Any) -> T:
        """``blocking(*args)``, a write, off the event loop: on SQLite in the store's one thread
        (SQLite takes one writer at a time: writers in several threads only wait on each
        other's lock, in growing sleeps), on PostgreSQL in the default thread pool."""
        if not self._exclusive:
            return await asyncio.to_thread(blocking, *args)
        with self._turns_lock:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="agentllm-db")
            thread = self._thread
        run = functools.partial(contextvars.copy_context().run, blocking, *args)
        return await asyncio.get_running_loop().run_in_executor(thread, run)

    @asynccontextmanager
    async def aturn(self, session_id: str, timeout: float) -> AsyncIterator[TurnWrites]:
        """Hold the conversation for a turn; the yielded record collects its writes. A turn
        that ends without an error, every write landed, leaves its session in memory (SQLite);
        any other end forgets it."""
        async with self.locks.hold(session_id, timeout):
            with self._recording(session_id) as writes:
                generation = self.cache.generation if self.cache is not None else 0
                try:
                    yield writes
                except BaseException:
                    if self.cache is not None:
                        self.cache.drop(session_id)
                    raise
                if self.cache is not None:
                    if (
                        writes.stored
                        and writes.session is not None
                        and not writes.pending
                        and generation == self.cache.generation
                    ):
                        runs = writes.session.runs or []
                        writes.session.runs = [writes.stored_runs.get(r.run_id, r) for r in runs]
                        self.cache.put(writes.session, writes.window)
                        if writes.window is None:
                            self.run_counts.note(session_id, len(writes.session.runs or []))
                    else:
                        self.cache.drop(session_id)

    async def aread_for_turn(
        self,
        session_id: str,
        user_id: str | None,
        session_type: SessionType = SessionType.AGENT,
        runs_limit: int | None = None,
    ) -> Any:
        """:meth:`read_for_turn`, served from memory when this process stored the conversation
        (SQLite), else read off the loop."""
        kept = (
            None
            if self.cache is None
            else self.cache.get(session_id, user_id, session_type, runs_limit)
        )
        if kept is None:
            return await asyncio.to_thread(
                self.read_for_turn, session_id, user_id, session_type, runs_limit
            )
        self._serve(session_id, (session_type, user_id), kept.session, kept.window)
        return kept.session

    def read_for_turn(
        self,
        session_id: str,
        user_id: str | None,
        session_type: SessionType = SessionType.AGENT,
        runs_limit: int | None = None,
    ) -> Any:
        """Read the conversation for the turn that holds it (:meth:`aturn`), with at least its
        newest ``runs_limit`` runs (None: all); Agno's own read of the same session in the same
        turn gets this one instead of querying again. Nothing else can change the conversation
        in between: the turn holds its lock. Blocking."""
        if not self.run_counts.is_long(session_id):
            runs_limit = None  # a full read costs less (RunCounts.is_long)
        found = super().get_session(
            session_id, session_type, user_id=user_id, runs_limit=runs_limit
        )
        if runs_limit is None:
            self.run_counts.note(session_id, len(getattr(found, "runs", None) or []))
        self._serve(session_id, (session_type, user_id), found, runs_limit)
        return found

    def _serve(self, session_id: str, key: tuple[Any, Any], found: Any, window: int | None) -> None:
        """Keep this turn's read for Agno's own read of the session (:meth:`get_session`)."""
        with self._turns_lock:
            for writes in self._turns.get(session_id, ()):
                writes.read = (key, found)
                writes.window = window

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
        """Release the store's thread, the lock connections and the connection pool (a later
        use starts them again)."""
        with self._turns_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True)
        self.locks.close()
        self.db_engine.dispose()

    # --- Agno's writes, reported to the turn that made them ------------------------------------

    def upsert_session(self, session: Any, deserialize: bool | None = True) -> Any:
        """Agno's write of a session row; made later, off the loop, when made in a turn on the
        event loop (:meth:`flush`)."""
        session_id = getattr(session, "session_id", None)
        turn = self._defer(session_id, lambda: self._upsert_session(session, deserialize))
        if turn is None:
            self._forget(session_id)
            return self._upsert_session(session, deserialize)
        turn.session = session
        return session

    def upsert_run(
        self, run: Any, session_id: str, user_id: str | None = None, run_index: int | None = None
    ) -> None:
        """Agno's write of a run; made later, off the loop, when made in a turn on the event loop
        (:meth:`flush`). Its input keeps only what the turn adds (``drop_replayed_input``).
        ``run_index`` is left to the database, which gives a new run the next index of its
        session (and keeps an existing run's): Agno computes it as the run's position in the
        session it read, which a turn may have read only the newest runs of
        (:meth:`read_for_turn`)."""
        drop_replayed_input(run)
        turn = self._defer(session_id, lambda: self._upsert_run(run, session_id, user_id))
        if turn is None:
            self._forget(session_id)
            self._upsert_run(run, session_id, user_id)
        else:
            turn.run_ids.add(str(getattr(run, "run_id", "")))

    def update_approval_run_status(self, run_id: str, run_status: Any) -> int:
        """Agno's update of the approvals of a run it just stored; made with the turn's other
        writes (:meth:`flush`) when made in a turn on the event loop (it then answers 0, which
        Agno only logs)."""
        with self._turns_lock:
            session_id = next(
                (sid for sid, turns in self._turns.items() if run_id in turns[-1].run_ids), None
            )
        if self._defer(session_id, lambda: self._update_approvals(run_id, run_status)) is None:
            return self._update_approvals(run_id, run_status)
        return 0

    def _update_approvals(self, run_id: str, run_status: Any) -> int:
        return int(super().update_approval_run_status(run_id, run_status))

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
        if self.cache is not None:
            # Kept in memory as the database holds it: Agno's run object can hold more than it
            # writes (an image's bytes, where the row keeps its reference).
            stored = type(run).from_dict(run.to_dict())
            with self._turns_lock:
                for writes in self._turns.get(session_id, ()):
                    writes.stored_runs[str(run.run_id)] = stored

    def _defer(self, session_id: str | None, write: Callable[[], Any]) -> TurnWrites | None:
        """Keep ``write`` for its turn's :meth:`flush` if it is made on an event loop (Agno calls
        a synchronous database from ``arun``) while a turn holds the conversation; that turn's
        record, else None (the caller makes the write now)."""
        if session_id is None or not _on_event_loop():
            return None
        with self._turns_lock:
            turns = self._turns.get(session_id)
            if not turns:
                return None
            turns[-1].pending.append(write)
            return turns[-1]

    # --- internals ----------------------------------------------------------------------------

    def _forget(self, session_id: str | None) -> None:
        """A write made outside a turn's record (Agno outside a turn, or a turn's own write of a
        superseded run in a thread): the conversation is read again next time."""
        if self.cache is not None and session_id is not None:
            self.cache.drop(session_id)

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


def _forgetting(name: str) -> Callable[..., Any]:
    """Agno's write ``name``, made with every conversation kept in memory forgotten, before (so
    no turn is served from memory meanwhile) and after (so no turn that read before it keeps
    what it read)."""

    def write(self: ConversationStore, *args: Any, **kwargs: Any) -> Any:
        if self.cache is not None:
            self.cache.clear()
        try:
            return getattr(super(ConversationStore, self), name)(*args, **kwargs)
        finally:
            if self.cache is not None:
                self.cache.clear()

    write.__name__ = write.__qualname__ = name
    write.__doc__ = f"Agno's ``{name}``; forgets the conversations kept in memory."
    return write


for _name in sorted(FORGETTING):
    setattr(ConversationStore, _name, _forgetting(_name))


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
