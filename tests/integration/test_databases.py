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
