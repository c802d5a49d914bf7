"""The Agno database shared by every agent: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agno.db.base import BaseDb
from sqlalchemy import event

from agentllm.store import SessionStore

_lock = threading.Lock()
_dbs: dict[str, BaseDb] = {}


class DatabaseConfigError(RuntimeError):
    """``AGENTLLM_DB_URL`` names a database agentllm cannot use."""


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    return Path(url.removeprefix("sqlite:///"))


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous=NORMAL`` on Agno's WAL-mode SQLite: a committed turn survives a crash of the
    proxy; only an OS crash or power loss can lose the last commits. Saves an fsync per commit
    (docs/BENCHMARKS.md)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_db(url: str, session_cache_turns: int = 1000) -> BaseDb:
    """A new Agno database for ``url`` (``sqlite:///…``, ``postgresql://…``), wrapped in the
    session store (cached reads, batched writes: ``agentllm.store``)."""
    if url.startswith("sqlite:///"):
        from agno.db.sqlite import SqliteDb
        from sqlalchemy.dialects import sqlite

        class StoredSqliteDb(SessionStore, SqliteDb):
            dialect_insert = staticmethod(sqlite.insert)

        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = StoredSqliteDb(db_file=str(path), session_cache_turns=session_cache_turns)
        event.listen(db.db_engine, "connect", _normal_sync)
        return db
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            from agno.db.postgres import PostgresDb
            from sqlalchemy.dialects import postgresql

            class StoredPostgresDb(SessionStore, PostgresDb):  # type: ignore[misc]
                dialect_insert = staticmethod(postgresql.insert)

            return StoredPostgresDb(
                db_url="postgresql+psycopg://" + url.removeprefix(scheme),
                session_cache_turns=session_cache_turns,
            )
    raise DatabaseConfigError(
        "AGENTLLM_DB_URL must start with sqlite:/// or postgresql:// "
        f"(got a URL starting with {url.split(':', 1)[0]!r})"
    )


def shared_db(url: str, session_cache_turns: int = 1000) -> BaseDb:
    """The one database object for ``url`` in this process."""
    with _lock:
        db = _dbs.get(url)
        if db is None:
            db = _dbs[url] = make_db(url, session_cache_turns)
        return db


def close_all() -> None:
    """Commit every shared database's queued writes and stop their writers (at shutdown)."""
    with _lock:
        dbs = list(_dbs.values())
    for db in dbs:
        close = getattr(db, "close", None)
        if isinstance(db, SessionStore) and close is not None:
            close()


def describe(url: str) -> str:
    """``url`` fit for a log line: no password."""
    if url.startswith("sqlite:///"):
        return f"SQLite at {sqlite_path(url)}"
    scheme, _, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1]
    return f"PostgreSQL at {scheme}://{host}"
