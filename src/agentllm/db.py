"""The Agno database shared by every agent: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agno.db.base import BaseDb
from sqlalchemy import event

_lock = threading.Lock()
_dbs: dict[str, BaseDb] = {}


class DatabaseConfigError(RuntimeError):
    """``AGENTLLM_DB_URL`` names a database agentllm cannot use."""


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    return Path(url.removeprefix("sqlite:///"))


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous=NORMAL`` on Agno's WAL-mode SQLite: a committed turn survives a crash of the
    proxy; only an OS crash or power loss can lose the last commits. Saves an fsync per commit,
    which Agno makes on the event loop (docs/BENCHMARKS.md)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_db(url: str) -> BaseDb:
    """A new Agno database for ``url`` (``sqlite:///…``, ``postgresql://…``)."""
    if url.startswith("sqlite:///"):
        from agno.db.sqlite import SqliteDb

        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDb(db_file=str(path))
        event.listen(db.db_engine, "connect", _normal_sync)
        return db
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            from agno.db.postgres import PostgresDb

            return PostgresDb(db_url="postgresql+psycopg://" + url.removeprefix(scheme))
    raise DatabaseConfigError(
        "AGENTLLM_DB_URL must start with sqlite:/// or postgresql:// "
        f"(got a URL starting with {url.split(':', 1)[0]!r})"
    )


def shared_db(url: str) -> BaseDb:
    """The one database object for ``url`` in this process."""
    with _lock:
        db = _dbs.get(url)
        if db is None:
            db = _dbs[url] = make_db(url)
        return db


def describe(url: str) -> str:
    """``url`` fit for a log line: no password."""
    if url.startswith("sqlite:///"):
        return f"SQLite at {sqlite_path(url)}"
    scheme, _, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1]
    return f"PostgreSQL at {scheme}://{host}"
