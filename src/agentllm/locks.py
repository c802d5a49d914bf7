"""One turn at a time per conversation: in this process, and across processes on PostgreSQL.

A turn reads the stored conversation, runs the agent and writes the new run; a second turn of the
same conversation must wait for the first, or it would reconcile against a history that is about
to change (docs/storage.md). :class:`LocalLocks` serializes turns inside one process (enough for
SQLite, which agentllm serves from one process only). :class:`PostgresLocks` adds a PostgreSQL
session-level advisory lock keyed by the conversation, so any number of processes and replicas
on one database take turns too. One autocommit connection per process (per event loop) holds
its advisory locks; a lock another process holds is polled for, with a growing pause.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import (
    AbstractAsyncContextManager,
    asynccontextmanager,
    suppress,
)
from dataclasses import dataclass
from typing import Protocol

import psycopg

# Pauses between tries for a lock another process holds: short first (turns are short), then
# growing to this bound.
FIRST_PAUSE = 0.005
MAX_PAUSE = 0.1


class LockTimeout(TimeoutError):
    """A conversation's lock was not free within the turn's time limit."""


class ConversationLocks(Protocol):
    """Hold a conversation while its turn runs (``key`` is the session id)."""

    def hold(self, key: str, timeout: float) -> AbstractAsyncContextManager[None]: ...

    def close(self) -> None: ...


class LocalLocks:
    """One lock per conversation in this process, alive only while someone holds or awaits it."""

    def __init__(self) -> None:
        self._async: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    @asynccontextmanager
    async def hold(self, key: str, timeout: float) -> AsyncIterator[None]:
        with self._guard:
            lock = self._async.get(key)
            if lock is None:
                lock = self._async[key] = asyncio.Lock()
        try:
            async with asyncio.timeout(timeout):
                await lock.acquire()
        except TimeoutError:
            raise LockTimeout(f"conversation busy for {timeout:g} s") from None
        try:
            yield
        finally:
            lock.release()

    def close(self) -> None:
        """Nothing to release: the locks live in this process."""


def advisory_key(key: str) -> int:
    """A signed 64-bit advisory lock key for ``key`` (Agno's own locks use the two-int form)."""
    digest = hashlib.blake2b(f"agentllm-conversation:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLocks(LocalLocks):
    """Local locks first (turns of this process queue without database traffic), then a
    PostgreSQL advisory lock that other processes on the same database respect.

    ``conninfo`` is a libpq URL (``postgresql://user:pass@host/db``).
    """

    def __init__(self, conninfo: str) -> None:
        super().__init__()
        self.conninfo = conninfo
        # One connection per event loop (an async connection belongs to the loop that opened it:
        # the server's, and the one the synchronous entry points run on), each used by one
        # statement at a time.
        self._conns: dict[asyncio.AbstractEventLoop, _LoopConnection] = {}

    @asynccontextmanager
    async def hold(self, key: str, timeout: float) -> AsyncIterator[None]:
        deadline = time.monotonic() + timeout
        async with super().hold(key, timeout):
            lock_id = advisory_key(key)
            pause = FIRST_PAUSE
            while not await self._aquery("SELECT pg_try_advisory_lock(%s)", lock_id):
                if time.monotonic() + pause > deadline:
                    raise LockTimeout(f"conversation busy in another process for {timeout:g} s")
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
            try:
                yield
            finally:
                await self._arelease(lock_id)

    def close(self) -> None:
        """Close the lock connections (the server releases what they held)."""
        conns, self._conns = list(self._conns.values()), {}
        for held in conns:
            if held.conn is not None and not held.conn.closed:
                # Closed at the socket: the connection's loop may be gone or another thread's.
                held.conn.pgconn.finish()

    async def _aquery(self, sql: str, lock_id: int) -> bool:
        loop = asyncio.get_running_loop()
        held = self._conns.get(loop)
        if held is None:
            held = self._conns[loop] = _LoopConnection(asyncio.Lock())
        async with held.lock:  # one statement at a time on the shared connection
            if held.conn is None or held.conn.closed:
                held.conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
            try:
                cursor = await held.conn.execute(sql, (lock_id,))
            except psycopg.OperationalError:
                # The server went away: so did every lock this connection held. Next time, a new
                # connection; this turn fails (503, the database is unavailable).
                await held.conn.close()
                raise
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def _arelease(self, lock_id: int) -> None:
        with suppress(psycopg.OperationalError):  # the connection is gone, and the lock with it
            await self._aquery("SELECT pg_advisory_unlock(%s)", lock_id)


@dataclass
class _LoopConnection:
    lock: asyncio.Lock
    conn: psycopg.AsyncConnection | None = None
