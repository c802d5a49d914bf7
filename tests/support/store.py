"""Reading the proxy's SQLite store from tests, the way the provider keys it."""

from __future__ import annotations

from pathlib import Path

from agno.db.base import BaseDb, SessionType
from agno.db.postgres import PostgresDb
from agno.db.sqlite import SqliteDb

from agentllm.provider.identity import RequestIdentity


def stored_runs(db: Path | str, user_id: str, chat_id: str, agent: str = "release-manager") -> list:
    """Every stored run (any status) of a user's chat with ``agent`` (an agent's, a team's or a
    workflow's session), oldest first.

    ``db`` is the SQLite file, or a ``postgresql://`` URL; it is read with plain Agno.
    """
    reader: BaseDb = (
        PostgresDb(db_url=str(db).replace("postgresql://", "postgresql+psycopg://", 1))
        if str(db).startswith("postgresql://")
        else SqliteDb(db_file=str(db))
    )
    session_id = RequestIdentity(user_id, chat_id).session_id_for(agent)
    runs: list = []
    for kind in (SessionType.AGENT, SessionType.TEAM, SessionType.WORKFLOW):
        # Agno reads a session of any type as the type asked for (with no runs if it differs).
        session = reader.get_session(session_id=session_id, session_type=kind, user_id=user_id)
        runs = runs or list(getattr(session, "runs", None) or [])
    reader.db_engine.dispose()  # type: ignore[attr-defined]
    return runs


def stored_user_messages(db_path: Path | str, user_id: str, chat_id: str) -> list[str]:
    """User messages of the chat's completed, non-superseded runs, oldest first."""
    return [
        m.get_content_string()
        for run in stored_runs(db_path, user_id, chat_id)
        if run.status.value in ("RUNNING", "COMPLETED")
        for m in run.messages or []
        if m.role == "user" and not m.from_history
    ]


def stored_bytes(
    db_path: Path | str, user_id: str, chat_id: str, agent: str = "release-manager"
) -> int:
    """How many bytes a chat's rows hold in the SQLite store: its session row and its run rows."""
    import sqlite3

    session_id = RequestIdentity(user_id, chat_id).session_id_for(agent)
    with sqlite3.connect(str(db_path)) as connection:
        rows = connection.execute(
            "SELECT * FROM agno_sessions WHERE session_id = ?", (session_id,)
        ).fetchall()
        rows += connection.execute(
            "SELECT * FROM agno_runs WHERE session_id = ?", (session_id,)
        ).fetchall()
    connection.close()
    return sum(len(str(value).encode()) for row in rows for value in row if value is not None)
