"""Conversations survive a restart, in SQLite and in a real PostgreSQL server."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import start_proxy, stop_proxy
from tests.integration.postgres import server_bin, throwaway_cluster

pytestmark = pytest.mark.integration


def turn(proxy, chat, text):
    reply = proxy.client().chat.completions.create(
        model="agno/release-manager",
        messages=[{"role": "user", "content": text}],
        extra_headers={"X-Session-Id": chat},
    )
    return reply.choices[0].message.content.split("\ncontext: ", 1)[1].split(" | ")


def conversation_survives_restart(tmp_path, db_url):
    chat = uuid.uuid4().hex
    env = {"AGENTLLM_DB_URL": db_url} if db_url else {}
    first = start_proxy(tmp_path / "one", env)
    try:
        assert ("database: PostgreSQL" if db_url else "database: SQLite") in first.log()
        assert turn(first, chat, "alpha") == ["alpha"]
        assert turn(first, chat, "beta") == ["alpha", "beta"]
    finally:
        stop_proxy(first)
    second = start_proxy(tmp_path / "one", env)
    try:
        assert turn(second, chat, "gamma") == ["alpha", "beta", "gamma"]
    finally:
        stop_proxy(second)


def test_sqlite_conversation_survives_restart(tmp_path):
    (tmp_path / "one").mkdir()
    conversation_survives_restart(tmp_path, None)


@pytest.mark.skipif(
    server_bin() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)
def test_postgres_conversation_survives_restart(tmp_path):
    (tmp_path / "one").mkdir()
    with throwaway_cluster() as url:
        conversation_survives_restart(tmp_path, url)


@pytest.mark.skipif(
    server_bin() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)
async def test_a_slow_postgres_write_does_not_delay_another_conversation(monkeypatch):
    """On PostgreSQL a turn's writes run in the thread pool: one conversation's write that takes
    its time (a lock, a slow disk) holds up no other conversation. (SQLite takes one writer at a
    time, so there the store makes its writes one at a time.)"""
    from agno.db.postgres import PostgresDb

    from agentllm import db
    from agentllm.config import settings
    from agentllm.provider.handler import AgnoLLM
    from tests.support.handler import (
        another_conversation_is_answered_meanwhile,
        hold_one_conversation,
    )

    with throwaway_cluster() as url:
        monkeypatch.setenv("AGENTLLM_DB_URL", url)
        handler = AgnoLLM(settings())
        started, release = hold_one_conversation(
            monkeypatch, PostgresDb, "upsert_run", handler, "chat-slow"
        )
        try:
            await another_conversation_is_answered_meanwhile(
                handler, "agno/release-manager", started, release
            )
        finally:
            db.close_all()
