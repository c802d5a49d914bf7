"""The stored side of one turn, in one place: hold the conversation for the whole turn, read its
runs, mark the runs the client's history replaced, and say whether the turn's writes landed.

Every database call here runs in a worker thread, never on the event loop. Agno's own read of the
session in the same turn is served from this turn's read (``ConversationStore.read_for_turn``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from agno.run.base import RunStatus

from agentllm.locks import LocalLocks
from agentllm.store import ConversationStore, TurnWrites


@dataclass
class TurnStorage:
    """One turn's access to its conversation (the caller holds the conversation's lock)."""

    db: Any
    session_id: str
    user_id: str
    session_type: Any
    writes: TurnWrites | None = None

    async def runs(self, newest: int | None = None) -> list[Any]:
        """The conversation's stored runs, oldest first: at least the ``newest`` ones that make
        up its history (None: every run). One read, in a thread; none for an agent without a
        database."""
        return [] if self.db is None else await asyncio.to_thread(self._runs, newest)

    def _runs(self, newest: int | None) -> list[Any]:
        if isinstance(self.db, ConversationStore):
            if not self.db.is_long(self.session_id):
                newest = None  # a full read costs less (ConversationStore.is_long)
            session = self.db.read_for_turn(
                self.session_id, self.user_id, self.session_type, runs_limit=newest
            )
            if newest is None:
                self.db.note_runs(self.session_id, len(getattr(session, "runs", None) or []))
        else:
            session = self.db.get_session(
                session_id=self.session_id,
                session_type=self.session_type,
                user_id=self.user_id,
                runs_limit=newest,
            )
        return list(getattr(session, "runs", None) or [])

    async def supersede(self, runs: list[Any], run_ids: tuple[str, ...]) -> None:
        """Keep replaced runs on disk but out of the history, as Agno does for regenerated
        runs."""
        replaced = [run for run in runs if run.run_id in run_ids]
        if replaced:
            await asyncio.to_thread(self._supersede, replaced)

    def _supersede(self, replaced: list[Any]) -> None:
        for run in replaced:
            run.status = RunStatus.regenerated
            self.db.upsert_run(run, session_id=self.session_id, user_id=self.user_id)

    async def flush(self) -> None:
        """Make the writes Agno left for the turn (``ConversationStore.flush``), in a thread."""
        if isinstance(self.db, ConversationStore) and self.writes and self.writes.pending:
            await asyncio.to_thread(self.db.flush, self.writes)

    @property
    def stored(self) -> bool:
        """Every write of the turn so far was committed."""
        return self.writes is None or self.writes.stored


@asynccontextmanager
async def turn_storage(
    db: Any, session_id: str, user_id: str, session_type: Any, locks: LocalLocks, timeout: float
) -> AsyncIterator[TurnStorage]:
    """Hold conversation ``session_id`` for a turn (across processes on PostgreSQL); raises
    ``LockTimeout`` when another turn holds it for ``timeout`` seconds."""
    if isinstance(db, ConversationStore):
        async with db.aturn(session_id, timeout) as writes:
            storage = TurnStorage(db, session_id, user_id, session_type, writes)
            try:
                yield storage
            finally:
                await storage.flush()  # a failed or cancelled run's writes too
    else:
        async with locks.hold(session_id, timeout):
            yield TurnStorage(db, session_id, user_id, session_type)
