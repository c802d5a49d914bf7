"""The stored side of one turn, in one place: hold the conversation for the whole turn, read its
runs, mark the runs the client's history replaced, and say whether the turn's writes landed.

Every database call here runs off the event loop, in a thread. Agno's own read of the session in
the same turn is served from this turn's read (``ConversationStore.read_for_turn``), and on SQLite
a conversation this process stored is not read again (``agentllm.session_cache``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from agno.run.base import RunStatus

from agentllm.locks import LocalLocks
from agentllm.store import ConversationStore
from agentllm.turn_writes import TurnWrites


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
        up its history (None: every run). At most one read, off the loop; none for an agent
        without a database."""
        if self.db is None:
            return []
        if isinstance(self.db, ConversationStore):
            session = await self.db.aread_for_turn(
                self.session_id, self.user_id, self.session_type, newest
            )
        else:
            session = await asyncio.to_thread(
                self.db.get_session,
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
        if not replaced:
            return
        if isinstance(self.db, ConversationStore):
            await self.db.write(self._supersede, replaced)
        else:
            await asyncio.to_thread(self._supersede, replaced)

    def _supersede(self, replaced: list[Any]) -> None:
        for run in replaced:
            run.status = RunStatus.regenerated
            self.db.upsert_run(run, session_id=self.session_id, user_id=self.user_id)

    async def flush(self) -> None:
        """Make the writes Agno left for the turn (``ConversationStore.flush``), off the loop."""
        if isinstance(self.db, ConversationStore) and self.writes and self.writes.pending:
            await self.db.write(self.db.flush, self.writes)

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
