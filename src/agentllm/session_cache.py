"""What a process remembers of the conversations it served (docs/storage.md): on SQLite, the
conversations themselves, as it last stored them (:class:`SessionCache`), so that the next turn of
a conversation is served from memory instead of read back from the file; on any database, how
long each conversation was (:class:`RunCounts`), to read a long one only as far back as needed.

Only SQLite uses it: there one process serves the file (``agentllm.db.claim_sqlite``), so what it
stored is what the file holds. On PostgreSQL other processes write too, and every turn reads.

An entry is Agno's own session object as the turn that stored it left it, with the turn's run
as a read of the database gives it back (Agno's run object can hold more than it writes: an
image's bytes, where the row keeps a reference). The store (``agentllm.store``) puts a session
here only after every write of its turn landed, and drops it when a turn fails, so a failed
turn's run, which Agno added to the object before its write failed, never reaches the next turn.
Bounded by conversations and by runs (least recently used first); a conversation longer than the
whole budget is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from agno.db.base import SessionType
from agno.session import AgentSession, TeamSession, WorkflowSession

# Measured with the release manager: about 20 KB a run in memory (docs/BENCHMARKS.md).
MAX_SESSIONS = 256
MAX_RUNS = 2_048
# A conversation with more runs than this is read only as far back as the agent looks
# (``RunCounts.is_long``); measured on 2 cores, docs/BENCHMARKS.md.
LONG_CONVERSATION = 100
# How many conversations' lengths are remembered.
RUN_COUNTS = 10_000

_TYPES = {
    SessionType.AGENT: AgentSession,
    SessionType.TEAM: TeamSession,
    SessionType.WORKFLOW: WorkflowSession,
}


@dataclass
class Kept:
    """A session as its last turn stored it."""

    session: Any
    # The runs the session object holds: None, every stored run; n, at least the newest n
    # (the turn that read it read only the agent's window, ``ConversationStore.read_for_turn``).
    window: int | None
    runs: int


class SessionCache:
    """Sessions by id, least recently used dropped first; safe to use from any thread."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, max_runs: int = MAX_RUNS) -> None:
        self.max_sessions = max_sessions
        self.max_runs = max_runs
        self._entries: OrderedDict[str, Kept] = OrderedDict()
        self._runs = 0
        self._lock = threading.Lock()
        # Changes whenever the cache is cleared: a turn that began before a clear does not keep
        # what it read (``ConversationStore.aturn``).
        self.generation = 0

    def get(
        self, session_id: str, user_id: str | None, session_type: Any, runs_limit: int | None
    ) -> Kept | None:
        """The kept session, if it is ``user_id``'s, of ``session_type`` and holds at least the
        newest ``runs_limit`` runs (None: every run)."""
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or entry.session.user_id != user_id:
                return None
            wanted = _TYPES.get(session_type)
            if wanted is not None and not isinstance(entry.session, wanted):
                return None
            if entry.window is not None and (runs_limit is None or runs_limit > entry.window):
                return None
            self._entries.move_to_end(session_id)
            return entry

    def put(self, session: Any, window: int | None) -> None:
        """Keep ``session`` as stored now; ``window`` as in :class:`Kept`."""
        runs = len(session.runs or [])
        with self._lock:
            self._pop(session.session_id)
            if runs > self.max_runs:
                return
            self._entries[session.session_id] = Kept(session, window, runs)
            self._runs += runs
            while len(self._entries) > self.max_sessions or self._runs > self.max_runs:
                self._pop(next(iter(self._entries)))

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._pop(session_id)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._runs = 0
            self.generation += 1

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, session_id: object) -> bool:
        """Whether ``session_id`` is kept (not a use: its place in the order stays)."""
        return session_id in self._entries

    def _pop(self, session_id: str) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            self._runs -= entry.runs


class RunCounts:
    """How many runs each conversation had when this process last read or stored all of them
    (the newest ``RUN_COUNTS`` conversations): only a hint for how to read it next, which costs
    time when stale, never correctness."""

    def __init__(self) -> None:
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def is_long(self, session_id: str) -> bool:
        """Whether the conversation had more than ``LONG_CONVERSATION`` runs. Reading only its
        newest runs then saves time; for a shorter one a full read is cheaper, because it serves
        the runs that did not change from Agno's cache of parsed runs, where a limited read
        parses every run it returns."""
        with self._lock:
            return self._counts.get(session_id, 0) > LONG_CONVERSATION

    def note(self, session_id: str, count: int) -> None:
        with self._lock:
            self._counts[session_id] = count
            self._counts.move_to_end(session_id)
            while len(self._counts) > RUN_COUNTS:
                self._counts.popitem(last=False)
