"""The Agno database shared by every agent: SQLite by default, PostgreSQL when configured.

SQLite is served from one process: :func:`claim_sqlite` holds a lock file beside the database for
the life of the process, so a second process on the same file refuses to start and says to use
PostgreSQL. PostgreSQL takes any number of processes and replicas (docs/deploy.md).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import IO, Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from agentllm.locks import LocalLocks, PostgresLocks
from agentllm.store import ConversationStore

_lock = threading.Lock()
_dbs: dict[str, ConversationStore] = {}
_claims: dict[Path, IO[str]] = {}


class DatabaseConfigError(RuntimeError):
    """``AGENTLLM_DB_URL`` names a database agentllm cannot use (or one it must not share)."""


def parse_url(url: str) -> URL:
    """``url`` as SQLAlchemy reads it; a clear error for anything but SQLite and PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is not None and parsed.drivername == "postgres":  # Heroku-style postgres://
        parsed = parsed.set(drivername="postgresql")
    if parsed is None or parsed.get_backend_name() not in ("sqlite", "postgresql"):
        scheme = url.split(":", 1)[0]
        raise DatabaseConfigError(
            "AGENTLLM_DB_URL must start with sqlite:/// or postgresql:// "
            f"(got a URL starting with {scheme!r})"
        )
    return parsed


def is_sqlite(url: str) -> bool:
    return parse_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    return Path(parse_url(url).database or "")


def claim_sqlite(url: str) -> None:
    """Take the SQLite database for this process, or raise if another process has it."""
    path = sqlite_path(url).resolve()
    with _lock:
        if path in _claims:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(f"{path}.agentllm.lock", "a+")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise DatabaseConfigError(
                f"the SQLite database {path} is in use by another agentllm process (pid "
                f"{holder}). SQLite serves one process: stop the other one, or use PostgreSQL "
                "(AGENTLLM_DB_URL=postgresql://user:password@host:5432/db) to run several "
                "processes or workers (docs/deploy.md)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _claims[path] = handle


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous=NORMAL`` on Agno's WAL-mode SQLite: a committed turn survives a crash of the
    proxy; only an OS crash or power loss can lose the last commits. Saves an fsync per commit
    (docs/BENCHMARKS.md)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_db(url: str) -> ConversationStore:
    """A new conversation store for ``url`` (``sqlite:///…``, ``postgresql://…``)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        from agno.db.sqlite import SqliteDb

        claim_sqlite(url)
        sqlite_cls = type("StoredSqliteDb", (ConversationStore, SqliteDb), {})
        db = sqlite_cls(db_file=str(sqlite_path(url)), locks=LocalLocks(), exclusive=True)
        event.listen(db.db_engine, "connect", _normal_sync)
        return db
    from agno.db.postgres import PostgresDb

    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    engine_url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    postgres_cls = type("StoredPostgresDb", (ConversationStore, PostgresDb), {})
    return postgres_cls(db_url=engine_url, locks=PostgresLocks(libpq))


def shared_db(url: str) -> ConversationStore:
    """The one conversation store for ``url`` in this process."""
    with _lock:
        db = _dbs.get(url)
    if db is None:
        created = make_db(url)
        with _lock:
            db = _dbs.setdefault(url, created)
        if db is not created:
            created.close()
    return db


def close_all() -> None:
    """Close every shared store's connections (at shutdown)."""
    with _lock:
        dbs = list(_dbs.values())
        _dbs.clear()
    for db in dbs:
        db.close()


def describe(url: str) -> str:
    """``url`` fit for a log line: no user, no password."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite at {sqlite_path(url)}"
    port = f":{parsed.port}" if parsed.port else ""
    return f"PostgreSQL at postgresql://{parsed.host or 'localhost'}{port}/{parsed.database or ''}"
