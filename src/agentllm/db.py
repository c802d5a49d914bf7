"""The Agno database shared by every agent: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

import threading
from collections.abc import Callable
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


def _agno_classes(url: str) -> tuple[type, dict[str, Any], Callable[..., Any]]:
    """Agno's database class for ``url``, its constructor arguments, and the dialect's insert."""
    if url.startswith("sqlite:///"):
        from agno.db.sqlite import SqliteDb
        from sqlalchemy.dialects import sqlite

        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteDb, {"db_file": str(path)}, sqlite.insert
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            from agno.db.postgres import PostgresDb
            from sqlalchemy.dialects import postgresql

            target = "postgresql+psycopg://" + url.removeprefix(scheme)
            return PostgresDb, {"db_url": target}, postgresql.insert
    raise DatabaseConfigError(
        "AGENTLLM_DB_URL must start with sqlite:/// or postgresql:// "
        f"(got a URL starting with {url.split(':', 1)[0]!r})"
    )


def _tuned(db: BaseDb, url: str) -> BaseDb:
    if url.startswith("sqlite:///"):
        event.listen(db.db_engine, "connect", _normal_sync)  # type: ignore[attr-defined]
    return db


def agno_db(url: str) -> tuple[BaseDb, Callable[..., Any]]:
    """Plain Agno database for ``url`` and its dialect's insert (the store's writer process)."""
    cls, kwargs, insert = _agno_classes(url)
    return _tuned(cls(**kwargs), url), insert


def make_db(url: str, session_cache_turns: int = 1000) -> BaseDb:
    """A new Agno database for ``url`` (``sqlite:///…``, ``postgresql://…``), wrapped in the
    session store (cached reads, batched writes in a writer process: ``agentllm.store``)."""
    cls, kwargs, _ = _agno_classes(url)
    stored = type(f"Stored{cls.__name__}", (SessionStore, cls), {})
    return _tuned(stored(url=url, session_cache_turns=session_cache_turns, **kwargs), url)


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
        if isinstance(db, SessionStore):
            db.close()


def describe(url: str) -> str:
    """``url`` fit for a log line: no password."""
    if url.startswith("sqlite:///"):
        return f"SQLite at {sqlite_path(url)}"
    scheme, _, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1]
    return f"PostgreSQL at {scheme}://{host}"
