"""Agno's session storage made cheap per turn, without weakening it (docs/storage.md).

Agno stores a turn as two separate transactions (the session row, then the run row) and reads the
whole session back at the start of the next turn, all synchronously on the proxy's event loop.
:class:`SessionStore` keeps Agno's tables and its ``BaseDb`` interface, and changes three things:

- hot agent sessions are served from memory (an LRU), so a turn does not re-read its session;
- writes are queued and committed in batches by a writer process, many turns per transaction;
- :meth:`SessionStore.watch` tells the handler what it must wait for before the turn's reply may
  end, so a reply the client saw complete is always a turn on disk.
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agno.db.base import SessionType
from agno.db.utils import build_single_run_row, json_serializer
from agno.session import AgentSession
from sqlalchemy import bindparam, func, select

if TYPE_CHECKING:  # the mixin's contract: what the SQL databases of Agno offer
    from agno.db.sqlite import SqliteDb as _SqlDb
else:
    _SqlDb = object

log = logging.getLogger("agentllm.store")

# Most writes per transaction; a burst larger than this is committed in several.
MAX_BATCH = 256

# Seconds a missing approvals table is trusted to stay missing (see _approvals_table).
APPROVALS_RECHECK = 10.0

# The session columns an upsert updates (as in Agno's ``upsert_session``).
SESSION_UPDATES = (
    "agent_id",
    "user_id",
    "agent_data",
    "session_data",
    "summary",
    "metadata",
    "updated_at",
)


@dataclass(frozen=True)
class Write:
    """One row to upsert, detached from live objects: a session row or a run row.

    Turning Agno's objects into rows (``to_dict``) costs several times what pickling them does,
    so a write usually carries the object pickled at the moment Agno stored it (``snapshot``), and
    the writer process builds the row from it (:func:`complete`); ``row`` then holds only the
    keys. Without a snapshot, ``row`` is the whole row.
    """

    kind: Literal["session", "run", "approval"]
    session_id: str
    row: dict[str, Any]
    snapshot: bytes | None = None


def coalesce(writes: Iterable[Write]) -> list[Write]:
    """One write per row, the last one queued; a run keeps the first ``run_index`` it was given."""
    latest: dict[tuple[str, Any], Write] = {}
    for write in writes:
        key = (write.kind, write.row["session_id" if write.kind == "session" else "run_id"])
        earlier = latest.pop(key, None)
        if (
            earlier is not None
            and write.row.get("run_index") is None
            and earlier.row.get("run_index") is not None
        ):
            write = replace(write, row={**write.row, "run_index": earlier.row.get("run_index")})
        latest[key] = write
    return list(latest.values())


class BatchWriter:
    """Hands queued writes in batches to ``commit`` on one daemon thread; each write gets a
    future."""

    def __init__(self, commit: Callable[[list[Write]], None], name: str = "agentllm-store") -> None:
        self._commit = commit
        self._queue: queue.SimpleQueue[tuple[Write, Future[None]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, write: Write) -> Future[None]:
        if self._closed:
            raise RuntimeError("the session store is closed")
        future: Future[None] = Future()
        self._queue.put((write, future))
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything queued so far is committed (or has failed)."""
        marker = self.submit(Write("session", "", {}))
        marker.exception(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._run(batch)
            if stop:
                return

    def _run(self, batch: list[tuple[Write, Future[None]]]) -> None:
        writes = [(w, f) for w, f in batch if w.row]
        try:
            if writes:
                self._commit(coalesce([w for w, _ in writes]))
        except Exception as exc:
            sessions = dict.fromkeys(w.session_id for w, _ in writes)
            if len(sessions) > 1:
                # One session's bad turn must not fail the turns batched with it: retry each
                # session's writes on their own, still one transaction per turn.
                for session_id in sessions:
                    self._run([(w, f) for w, f in writes if w.session_id == session_id])
            else:
                for _, future in writes:
                    future.set_exception(exc)
        else:
            for _, future in writes:
                future.set_result(None)
        # Flush markers (no row) are settled last: everything queued before them is settled.
        for write, future in batch:
            if not write.row:
                future.set_result(None)


def _detached(session: AgentSession) -> AgentSession:
    """A copy of ``session`` that a run may change without changing ours (runs are shared, as in
    Agno's own run-object cache, and never changed in place by a run that reads them)."""
    clone = copy.copy(session)
    clone.runs = list(session.runs or [])
    clone.session_data = copy.deepcopy(session.session_data)
    clone.metadata = copy.deepcopy(session.metadata)
    clone.agent_data = copy.deepcopy(session.agent_data)
    return clone


def _snapshot(obj: Any) -> bytes | None:
    """``obj`` pickled, or None if pickle cannot copy something it holds."""
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as the database will store it (Agno's JSON encoding): plain data, its own copy."""
    return dict(json.loads(json_serializer(row)))


def _run_row(run: Any, keys: dict[str, Any]) -> dict[str, Any]:
    return build_single_run_row(
        run=run, session_id=keys["session_id"], user_id=keys["user_id"], run_index=keys["run_index"]
    )


class UnreadableSnapshots(Exception):
    """Snapshots the writer process cannot unpickle (they hold a class it cannot import, e.g.
    one defined in the proxy's ``__main__``): the proxy builds those rows itself."""

    def __init__(self, indexes: list[int]) -> None:
        super().__init__(f"{len(indexes)} snapshot(s) could not be read")
        self.indexes = indexes


def complete(writes: list[Write]) -> list[dict[str, Any]]:
    """The whole rows of ``writes``, built from their snapshots (in the writer process)."""
    stored: list[Any] = []
    unreadable = []
    for index, write in enumerate(writes):
        try:
            stored.append(None if write.snapshot is None else pickle.loads(write.snapshot))
        except Exception:
            unreadable.append(index)
    if unreadable:
        raise UnreadableSnapshots(unreadable)
    return [
        write.row
        if obj is None
        else _session_row(obj)
        if write.kind == "session"
        else _run_row(obj, write.row)
        for write, obj in zip(writes, stored, strict=True)
    ]


def with_row(write: Write) -> Write:
    """``write`` with its whole row built in this process, and no snapshot."""
    if write.snapshot is None:
        return write
    return replace(write, row=_plain(complete([write])[0]), snapshot=None)


def _session_row(session: AgentSession) -> dict[str, Any]:
    """The session's row; ``to_dict`` (``dataclasses.asdict``) already copies its dicts."""
    data = session.to_dict(include_runs=False)
    now = int(time.time())
    return {
        "session_id": data["session_id"],
        "session_type": SessionType.AGENT.value,
        "agent_id": data.get("agent_id"),
        "user_id": data.get("user_id"),
        "agent_data": data.get("agent_data"),
        "session_data": data.get("session_data"),
        "summary": data.get("summary"),
        "metadata": data.get("metadata"),
        "created_at": data.get("created_at") or now,
        "updated_at": now,
    }


class SessionCache:
    """Sessions as last written, least recently used dropped first, bounded by the number of
    stored turns (runs) they hold together: memory follows turns, not conversations."""

    def __init__(self, max_turns: int) -> None:
        self.max_turns = max_turns
        self.turns = 0
        self._sessions: OrderedDict[str, AgentSession] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str) -> AgentSession | None:
        """A copy of the cached session that a run may change freely, or None."""
        with self._lock:
            cached = self._sessions.get(session_id)
            if cached is None:
                return None
            self._sessions.move_to_end(session_id)
            return _detached(cached)

    def put(self, session: AgentSession) -> None:
        """Remember ``session`` as it is now."""
        if self.max_turns:
            snapshot = _detached(session)
            with self._lock:
                self._store(session.session_id, snapshot)

    def add_run(self, session_id: str, run: Any) -> None:
        """Record a written run in the cached session (replacing the run with its id)."""
        with self._lock:
            cached = self._sessions.get(session_id)
            if cached is None:
                return
            runs = cached.runs or []  # our own list: readers get copies
            # Agno stores the session, with this run last, just before the run: look from the end.
            for i in range(len(runs) - 1, -1, -1):
                if runs[i].run_id == run.run_id:
                    runs[i] = run
                    return
            cached.runs = [*runs, run]
            self._store(session_id, cached)

    def drop(self, session_id: str | None) -> None:
        if session_id is not None:
            with self._lock:
                self._store(session_id, None)

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
            self.turns = 0

    def _store(self, session_id: str, session: AgentSession | None) -> None:
        old = self._sessions.pop(session_id, None)
        if old is not None:
            self.turns -= _weight(old)
        if session is None or _weight(session) > self.max_turns:
            return
        self._sessions[session_id] = session
        self.turns += _weight(session)
        while self.turns > self.max_turns:
            _, evicted = self._sessions.popitem(last=False)
            self.turns -= _weight(evicted)


def _weight(session: AgentSession) -> int:
    return max(1, len(session.runs or []))


class SessionStore(_SqlDb):
    """Mixin over an Agno ``SqliteDb`` / ``PostgresDb``: cached reads, batched writes."""

    def __init__(
        self, *args: Any, url: str, session_cache_turns: int = 1000, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sessions = SessionCache(session_cache_turns)
        self._pending: dict[str, set[Future[None]]] = {}
        self._watchers: dict[str, list[list[Future[None]]]] = {}
        self._lock = threading.Lock()
        self._exists_sql: tuple[str, bool] | None = None
        self._process = WriterProcess(url)
        self._writer = BatchWriter(self._process)
        atexit.register(_close_at_exit, weakref.ref(self))

    # --- reads --------------------------------------------------------------------------------

    def get_session(
        self,
        session_id: str,
        session_type: SessionType | None = None,
        user_id: str | None = None,
        deserialize: bool | None = True,
        runs_limit: int | None = None,
    ) -> Any:
        cacheable = deserialize and session_type in (None, SessionType.AGENT)
        cached = self.sessions.get(session_id) if cacheable else None
        if cached is not None:
            if user_id is not None and cached.user_id != user_id:
                return None
            if runs_limit is not None:
                cached.runs = (cached.runs or [])[-runs_limit:] if runs_limit else []
            return cached
        # Not in memory: what is queued for this session must be on disk before it is read.
        self._wait_pending(session_id)
        if cacheable and not self._exists(session_id):
            return None
        found = super().get_session(
            session_id=session_id,
            session_type=session_type,
            user_id=user_id,
            deserialize=deserialize,
            runs_limit=runs_limit,
        )
        if cacheable and runs_limit is None and isinstance(found, AgentSession):
            self.sessions.put(found)  # keeps a copy of its own
        return found

    # --- writes -------------------------------------------------------------------------------

    def upsert_session(self, session: Any, deserialize: bool | None = True) -> Any:
        if not isinstance(session, AgentSession) or not deserialize:
            self._wait_pending(getattr(session, "session_id", None))
            self.sessions.drop(getattr(session, "session_id", None))
            return super().upsert_session(session, deserialize=deserialize)
        without_runs = copy.copy(session)
        without_runs.runs = None  # they have rows of their own
        self._queue_snapshot(
            Write("session", session.session_id, {"session_id": session.session_id}),
            without_runs,
            lambda: _session_row(session),
        )
        self.sessions.put(session)
        return session

    def upsert_run(
        self,
        run: Any,
        session_id: str,
        user_id: str | None = None,
        run_index: int | None = None,
    ) -> None:
        keys = {
            "run_id": run.get("run_id") if isinstance(run, dict) else run.run_id,
            "session_id": session_id,
            "user_id": user_id,
            "run_index": run_index,
        }
        self._queue_snapshot(Write("run", session_id, keys), run, lambda: _run_row(run, keys))
        if isinstance(run, dict):
            self.sessions.drop(session_id)
        else:
            self.sessions.add_run(session_id, run)

    def update_approval_run_status(self, run_id: str, run_status: Any) -> int:
        """Queued with the run it belongs to (Agno calls this after every run, and only logs the
        count, which is therefore always 0 here)."""
        row = {
            "run_id": run_id,
            "run_status": run_status.value,
            "updated_at": int(time.time()),
            "table_known": self._get_cached_table("approvals", self.approvals_table_name)
            is not None,
        }
        self._writer.submit(Write("approval", "", row))
        return 0

    def watch(self, session_id: str) -> list[Future[None]]:
        """A list that collects the future of every write of ``session_id`` queued from now until
        :meth:`unwatch`, done or not: a turn learns the outcome of its own writes even when the
        writer settled them before the turn got to wait (``_pending`` forgets settled writes)."""
        collected: list[Future[None]] = []
        with self._lock:
            self._watchers.setdefault(session_id, []).append(collected)
        return collected

    def unwatch(self, session_id: str, collected: list[Future[None]]) -> None:
        """Stop collecting into ``collected`` (from :meth:`watch`)."""
        with self._lock:
            lists = [c for c in self._watchers.get(session_id, ()) if c is not collected]
            if lists:
                self._watchers[session_id] = lists
            else:
                self._watchers.pop(session_id, None)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every write queued so far is committed."""
        self._writer.flush(timeout)

    def close(self) -> None:
        """Commit what is queued and stop the writer."""
        self._writer.close()
        self._process.close()

    # Anything else that changes sessions goes straight to Agno, after the queue is on disk.

    def delete_session(self, session_id: str, user_id: str | None = None) -> bool:
        self.flush()
        self.sessions.drop(session_id)
        return super().delete_session(session_id, user_id=user_id)

    def delete_sessions(self, session_ids: list[str], user_id: str | None = None) -> None:
        self.flush()
        for session_id in session_ids:
            self.sessions.drop(session_id)
        super().delete_sessions(session_ids, user_id=user_id)

    def rename_session(self, session_id: str, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        self.sessions.drop(session_id)
        return super().rename_session(session_id, *args, **kwargs)

    def upsert_sessions(self, sessions: list[Any], *args: Any, **kwargs: Any) -> Any:
        self.flush()
        for session in sessions:
            self.sessions.drop(getattr(session, "session_id", None))
        return super().upsert_sessions(sessions, *args, **kwargs)

    def delete_run(self, run_id: str) -> bool:
        self.flush()
        self.sessions.clear()
        return super().delete_run(run_id)

    def delete_runs(self, run_ids: list[str]) -> None:
        self.flush()
        self.sessions.clear()
        super().delete_runs(run_ids)

    # --- internals ----------------------------------------------------------------------------

    def _queue_snapshot(self, write: Write, stored: Any, row: Callable[[], dict[str, Any]]) -> None:
        """Queue ``write`` with ``stored`` pickled; what pickle cannot copy gets its whole row
        built here instead, and a row that cannot be built fails the turn like a refused write."""
        snapshot = _snapshot(stored)
        if snapshot is not None:
            self._queue(replace(write, snapshot=snapshot))
            return
        try:
            whole = _plain(row())
        except Exception as exc:
            refused: Future[None] = Future()
            refused.set_exception(exc)
            self._track(write.session_id, refused)
            return
        self._queue(replace(write, row=whole))

    def _queue(self, write: Write) -> None:
        self._track(write.session_id, self._writer.submit(write))

    def _track(self, session_id: str, future: Future[None]) -> None:
        with self._lock:
            self._pending.setdefault(session_id, set()).add(future)
            for collected in self._watchers.get(session_id, ()):
                collected.append(future)
        future.add_done_callback(lambda done: self._settled(session_id, done))

    def _settled(self, session_id: str, future: Future[None]) -> None:
        with self._lock:
            waiting = self._pending.get(session_id)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._pending[session_id]
        if future.exception() is not None:
            # Memory now holds what the disk does not: read this session from disk again.
            self.sessions.drop(session_id)
            log.error(
                "could not store a turn of session %s: %s",
                session_id,
                describe_error(future.exception()),
            )

    def _wait_pending(self, session_id: str | None) -> None:
        """Wait for the writes of ``session_id`` not yet settled (before reading it from disk)."""
        if session_id is None:
            return
        with self._lock:
            waiting = list(self._pending.get(session_id, ()))
        for future in waiting:
            future.exception()

    def _exists(self, session_id: str) -> bool:
        """Whether the session has a row: a far cheaper question than Agno's full read, and the
        usual answer for a conversation's first turn is no."""
        table = self._get_table(table_type="sessions")
        if table is None:
            return False
        if self._exists_sql is None:
            # Compiled once for the driver and run on a pooled driver connection: SQLAlchemy's
            # own execution path costs several times the query itself.
            compiled = (
                select(table.c.session_id)
                .where(table.c.session_id == bindparam("session_id"))
                .compile(dialect=self.db_engine.dialect)
            )
            self._exists_sql = (str(compiled), bool(compiled.positional))
        sql, positional = self._exists_sql
        conn = self.db_engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, (session_id,) if positional else {"session_id": session_id})
                return cursor.fetchone() is not None
            finally:
                cursor.close()
        finally:
            conn.close()  # back to the pool, which ends the read transaction


class Committer:
    """Commits batches of writes to an Agno SQL database (run in the writer process)."""

    def __init__(self, db: Any, insert: Callable[..., Any]) -> None:
        self.db = db
        self.insert = insert
        self._statements: dict[str, Any] = {}
        self._approvals_checked = -APPROVALS_RECHECK

    def __call__(self, writes: list[Write]) -> None:
        """Upsert a batch in one transaction, with the statements Agno's own upserts use."""
        db = self.db
        rows = list(zip(writes, complete(writes), strict=True))
        sessions = [row for w, row in rows if w.kind == "session"]
        runs = [row for w, row in rows if w.kind == "run"]
        approvals = [row for w, row in rows if w.kind == "approval"]
        # Tables are resolved (and created) before the transaction: Agno uses the same session.
        session_stmt = self._statement("sessions") if sessions else None
        run_stmt = self._statement("runs") if runs else None
        runs_table = db._get_table(table_type="runs") if runs else None
        approvals_table = (
            self._approvals_table(any(r.get("table_known") for r in approvals))
            if approvals
            else None
        )
        with db.Session() as sess, sess.begin():
            if session_stmt is not None:
                sess.execute(session_stmt, sessions)
            if run_stmt is not None:
                indexed = [r for r in runs if r.get("run_index") is not None]
                if indexed:
                    sess.execute(run_stmt, indexed)
                for row in runs:
                    if row.get("run_index") is None:
                        # No position given: the next one in the session, computed in the
                        # statement as Agno does.
                        row = {**row, "run_index": next_run_index(runs_table, row["session_id"])}
                        sess.execute(run_stmt.values(**row))
            if approvals_table is not None:
                for row in approvals:
                    sess.execute(
                        approvals_table.update()
                        .where(approvals_table.c.run_id == row["run_id"])
                        .values(run_status=row["run_status"], updated_at=row["updated_at"])
                    )

    def _approvals_table(self, known: bool) -> Any:
        """Agno's approvals table, if it exists. Agno updates approvals after every run, but they
        only exist for runs that paused for one; asking the database whether the table exists
        is most of a batch's cost, so a "no" is trusted for ``APPROVALS_RECHECK`` seconds unless
        the proxy process says it knows the table (it created or read it)."""
        db = self.db
        table = db._get_cached_table("approvals", db.approvals_table_name)
        if table is not None:
            return table
        now = time.monotonic()
        if not known and now - self._approvals_checked < APPROVALS_RECHECK:
            return None
        self._approvals_checked = now
        return db._get_table(table_type="approvals")

    def _statement(self, table_type: str) -> Any:
        """The batch upsert for a table, built once: building one costs more than running it."""
        stmt = self._statements.get(table_type)
        if stmt is None:
            table = self.db._get_table(table_type=table_type, create_table_if_not_found=True)
            stmt = self._statements[table_type] = (
                session_upsert if table_type == "sessions" else run_upsert
            )(self.insert, table)
        return stmt


class StoreError(RuntimeError):
    """The writer process could not commit a batch (the message names the database error)."""


class WriterProcess:
    """A :class:`Committer` in a child process: the SQL and JSON work of storing turns runs on
    another core instead of holding the proxy's GIL. Called from the writer thread only.

    A plain ``python -c`` child over two pipes (not ``multiprocessing``, whose spawn re-runs the
    parent's main module); the database URL travels through the pipe, not the command line."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._process: subprocess.Popen[bytes] | None = None
        self._to_child: Connection | None = None
        self._from_child: Connection | None = None

    def __call__(self, writes: list[Write]) -> None:
        try:
            if self._process is None or self._process.poll() is not None:
                self._start()
            assert self._to_child is not None and self._from_child is not None
            self._to_child.send_bytes(pickle.dumps(writes, protocol=pickle.HIGHEST_PROTOCOL))
            outcome, detail = self._from_child.recv()
            if outcome == "rebuild":
                unreadable = set(detail)
                writes = [with_row(w) if i in unreadable else w for i, w in enumerate(writes)]
                self._to_child.send_bytes(pickle.dumps(writes, protocol=pickle.HIGHEST_PROTOCOL))
                outcome, detail = self._from_child.recv()
        except (EOFError, OSError) as exc:
            self._stop()
            raise StoreError(
                "the store's writer process stopped (it restarts with the next turn)"
            ) from exc
        if outcome != "ok":
            raise StoreError(detail)

    def close(self, timeout: float = 30.0) -> None:
        if self._process is not None and self._to_child is not None:
            try:
                self._to_child.send_bytes(b"")
                self._process.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        package_root = str(Path(__file__).resolve().parents[1])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [package_root, os.environ.get("PYTHONPATH")])
            ),
        }
        self._process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._to_child = Connection(to_child_w, readable=False)
        self._from_child = Connection(from_child_r, writable=False)
        self._to_child.send_bytes(self.url.encode())

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for conn in (self._to_child, self._from_child):
            if conn is not None:
                conn.close()
        self._process = self._to_child = self._from_child = None


_CHILD = (
    "import sys; from agentllm.store import writer_main; "
    "writer_main(int(sys.argv[1]), int(sys.argv[2]))"
)


def writer_main(read_fd: int, write_fd: int) -> None:
    """The writer process: commit each batch it is sent; answer ("ok", ""), ("error", the error
    without parameters) or ("rebuild", the writes whose snapshots it cannot read).
    It stops when the proxy says so or goes away (end of the pipe)."""
    # Ctrl-C reaches the whole process group: the proxy decides when the writer stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from agentllm.db import agno_db

    incoming, outgoing = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    commit = Committer(*agno_db(incoming.recv_bytes().decode()))
    while True:
        try:
            data = incoming.recv_bytes()
        except EOFError:
            return
        if not data:
            return
        try:
            commit(pickle.loads(data))
        except UnreadableSnapshots as exc:
            outgoing.send(("rebuild", exc.indexes))
        except Exception as exc:
            outgoing.send(("error", describe_error(exc)))
        else:
            outgoing.send(("ok", ""))


def session_upsert(insert: Callable[..., Any], table: Any) -> Any:
    """Agno's session upsert (``SqliteDb.upsert_session``) as one statement for many rows."""
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["session_id"],
        set_={k: stmt.excluded[k] for k in SESSION_UPDATES},
        where=(table.c.user_id == stmt.excluded.user_id) | table.c.user_id.is_(None),
    )


def run_upsert(insert: Callable[..., Any], table: Any) -> Any:
    """Agno's run upsert (``SqliteDb.upsert_run``) as one statement for many rows."""
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["run_id"],
        set_=dict(
            status=stmt.excluded.status,
            run_data=stmt.excluded.run_data,
            user_id=stmt.excluded.user_id,
            parent_run_id=stmt.excluded.parent_run_id,
            updated_at=stmt.excluded.updated_at,
            run_index=func.coalesce(table.c.run_index, stmt.excluded.run_index),
        ),
    )


def next_run_index(table: Any, session_id: str) -> Any:
    """The position after the session's last run, as a subquery."""
    return (
        select(func.coalesce(func.max(table.c.run_index) + 1, 0))
        .where(table.c.session_id == session_id)
        .scalar_subquery()
    )


def describe_error(exc: BaseException | None) -> str:
    """A database error without the statement's parameters (they hold the conversation)."""
    orig = getattr(exc, "orig", None)
    shown = orig if isinstance(orig, BaseException) else exc
    return f"{type(shown).__name__}: {str(shown).splitlines()[0] if str(shown) else ''}"


def _close_at_exit(ref: weakref.ref[SessionStore]) -> None:
    store = ref()
    if store is not None:
        store.close()
