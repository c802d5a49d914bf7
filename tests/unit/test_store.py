"""The session store: Agno's tables and interface, cached reads, batched writes, no lost turn."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import litellm
import pytest
from agno.agent import Agent
from agno.db.base import SessionType
from agno.db.sqlite import SqliteDb
from agno.run import RunContext
from agno.tools.function import Function
from litellm.types.utils import ModelResponse
from sqlalchemy import event

from agentllm.db import make_db
from agentllm.models.offline import OfflineModel
from agentllm.provider.handler import AgnoLLM
from agentllm.provider.identity import RequestIdentity
from agentllm.store import BatchWriter, SessionStore, Write, coalesce
from agentllm.tools import get_chat_history


def agent_on(db) -> Agent:
    return Agent(
        id="store-test",
        model=OfflineModel(),
        db=db,
        add_history_to_context=True,
        num_history_runs=10,
    )


def converse(db, session_id: str, user_id: str, words: list[str]) -> None:
    agent = agent_on(db)
    for word in words:
        agent.run(f"say {word}", session_id=session_id, user_id=user_id)


def comparable(session) -> dict:
    """A stored session without what differs between two writes of the same conversation."""
    volatile = {"run_id", "session_id", "created_at", "updated_at", "id", "metrics", "duration"}

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in volatile}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(session.to_dict())


def said(run) -> str:
    """What the user said in a run (not the history replayed to it)."""
    return " ".join(
        m.get_content_string() for m in run.messages if m.role == "user" and not m.from_history
    )


def statements(db) -> list[str]:
    seen: list[str] = []
    event.listen(db.db_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_stored_conversation_reads_back_in_plain_agno_as_if_agno_wrote_it(tmp_path):
    ours, theirs = tmp_path / "ours.db", tmp_path / "agno.db"
    store = make_db(f"sqlite:///{ours}")
    converse(store, "chat-1", "ada", ["one", "two", "three"])
    store.flush()
    converse(SqliteDb(db_file=str(theirs)), "chat-1", "ada", ["one", "two", "three"])

    read = [
        SqliteDb(db_file=str(path)).get_session("chat-1", SessionType.AGENT, user_id="ada")
        for path in (ours, theirs)
    ]
    assert [r.status.value for r in read[0].runs] == ["COMPLETED"] * 3
    assert comparable(read[0]) == comparable(read[1])
    with sqlite3.connect(ours) as raw:
        assert raw.execute("SELECT run_index FROM agno_runs ORDER BY run_index").fetchall() == [
            (0,),
            (1,),
            (2,),
        ]


def test_the_next_turn_reads_its_session_from_memory_not_from_disk(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    converse(store, "chat-1", "ada", ["one"])
    store.flush()
    seen = statements(store)
    session = store.get_session("chat-1", SessionType.AGENT, user_id="ada")
    assert len(session.runs) == 1
    assert seen == []
    # Another user asking for the same session id gets nothing, as from Agno's filtered read.
    assert store.get_session("chat-1", SessionType.AGENT, user_id="eve") is None


def test_a_read_returns_a_copy_a_run_may_change_freely(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    converse(store, "chat-1", "ada", ["one"])
    first = store.get_session("chat-1", SessionType.AGENT, user_id="ada")
    first.runs.append(first.runs[0])
    first.session_data["session_state"] = {"changed": True}
    again = store.get_session("chat-1", SessionType.AGENT, user_id="ada")
    assert len(again.runs) == 1
    assert (again.session_data or {}).get("session_state") != {"changed": True}


def test_without_a_session_cache_every_read_goes_to_disk(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db", session_cache_turns=0)
    converse(store, "chat-1", "ada", ["one", "two"])
    seen = statements(store)
    assert len(store.get_session("chat-1", SessionType.AGENT, user_id="ada").runs) == 2
    assert seen


def test_a_session_not_in_memory_costs_one_indexed_question_before_any_full_read(tmp_path):
    path = tmp_path / "s.db"
    converse(SqliteDb(db_file=str(path)), "chat-1", "ada", ["one"])  # written by someone else
    store = make_db(f"sqlite:///{path}")
    executed: list[str] = []
    event.listen(
        store.db_engine,
        "connect",
        lambda raw, _: raw.set_trace_callback(executed.append),
    )
    store.get_session("chat-0", SessionType.AGENT)  # the first read loads the table's schema
    executed.clear()
    assert store.get_session("chat-2", SessionType.AGENT, user_id="ada") is None
    asked = [s for s in executed if "agno_sessions" in s]
    assert len(asked) == 1 and "session_data" not in asked[0] and "chat-2" in asked[0]
    # A session that exists is then read in full.
    assert [said(r) for r in store.get_session("chat-1", SessionType.AGENT).runs] == ["say one"]


def test_a_run_is_stored_as_it_was_when_agno_stored_it_not_as_it_changed_after(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    converse(store, "chat-1", "ada", ["one"])
    store.flush()
    run = store.get_session("chat-1", SessionType.AGENT).runs[0]
    run.metadata = {"step": "stored"}
    store.upsert_run(run, session_id="chat-1", user_id="ada")
    run.metadata["step"] = "changed afterwards"
    store.flush()
    plain = SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT)
    assert plain.runs[0].metadata == {"step": "stored"}


def test_a_turn_holding_objects_that_cannot_be_pickled_is_still_stored(tmp_path):
    class Tags(dict):  # a local class: JSON-serialisable, not picklable
        pass

    store = make_db(f"sqlite:///{tmp_path}/s.db")
    agent = agent_on(store)
    agent.run("say one", session_id="chat-1", user_id="ada", metadata=Tags(team="infra"))
    agent.run("say two", session_id="chat-1", user_id="ada", session_state=Tags(step=2))
    store.flush()
    plain = SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT)
    assert [said(r) for r in plain.runs] == ["say one", "say two"]
    assert plain.runs[0].metadata == {"team": "infra"}
    assert plain.session_data["session_state"] == {"step": 2}


def test_a_turn_holding_a_class_the_writer_process_cannot_import_is_still_stored(
    tmp_path, monkeypatch
):
    (tmp_path / "only_here.py").write_text("class Tags(dict):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # this process only, not the writer process
    from only_here import Tags  # type: ignore[import-not-found]

    store = make_db(f"sqlite:///{tmp_path}/s.db")
    agent_on(store).run("say one", session_id="chat-1", user_id="ada", session_state=Tags(a=1))
    store.flush()
    plain = SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT)
    assert [said(r) for r in plain.runs] == ["say one"]
    assert plain.session_data["session_state"] == {"a": 1}


class Chat:
    """One conversation with agno/release-manager through the handler, on its own database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handler = AgnoLLM()
        self.session_id = RequestIdentity("ada", "c1").session_id_for("release-manager")

    def ask(self, text: str) -> str:
        reply = asyncio.run(
            self.handler.acompletion(
                model="release-manager",
                messages=[{"role": "user", "content": text}],
                api_base="",
                custom_prompt_dict={},
                model_response=ModelResponse(),
                print_verbose=print,
                encoding=None,
                api_key=None,
                logging_obj=None,
                optional_params={},
                litellm_params={
                    "metadata": {
                        "headers": {"x-session-id": "c1"},
                        "user_api_key_end_user_id": "ada",
                    }
                },
            )
        )
        return reply.choices[0].message.content

    def stored(self) -> list[str]:
        """What the user said in each stored run, read by plain Agno from the file."""
        session = SqliteDb(db_file=str(self.path)).get_session(self.session_id, SessionType.AGENT)
        return [said(run) for run in session.runs]


def refuse_run_inserts(path: Path) -> None:
    """A trigger on the SQLite file that makes the database refuse every new run row."""
    with sqlite3.connect(path) as raw:
        raw.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON agno_runs "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )


@pytest.fixture
def chat(tmp_path, monkeypatch) -> Chat:
    monkeypatch.setenv("AGENTLLM_DB_URL", f"sqlite:///{tmp_path / 's.db'}")
    return Chat(tmp_path / "s.db")


def test_a_reply_ends_only_after_its_turn_is_on_disk(chat):
    chat.ask("first")
    # Another connection holds the write lock for a while: the writer's commit has to wait for
    # it, and so does the reply.
    locked, release = threading.Event(), threading.Event()

    def hold_write_lock() -> None:
        with sqlite3.connect(chat.path) as raw:
            raw.execute("BEGIN IMMEDIATE")
            locked.set()
            release.wait(0.5)
            raw.rollback()

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    locked.wait()
    chat.ask("second")
    # No flush: a fresh reader of the file sees the turn as soon as the reply returned.
    assert chat.stored() == ["first", "second"]
    holder.join()


def test_a_turn_the_database_refuses_fails_the_reply_and_leaves_the_disk_as_it_was(chat, caplog):
    path, ask = chat.path, chat.ask
    ask("alpha")
    refuse_run_inserts(path)
    with pytest.raises(litellm.ServiceUnavailableError, match="could not be stored"):
        ask("beta")
    with sqlite3.connect(path) as raw:
        raw.execute("DROP TRIGGER refuse")
    reply = ask("gamma")
    # The refused turn is neither on disk nor in the history the agent sees next.
    assert "beta" not in reply and "alpha" in reply
    assert chat.stored() == ["alpha", "gamma"]
    # The failure is logged, without the statement's parameters (they hold the conversation).
    assert "disk says no" in caplog.text and "beta" not in caplog.text


def test_a_refused_turn_fails_its_reply_even_when_the_writer_finished_first(chat, monkeypatch):
    # Under load the writer can commit (or fail) a turn's writes before the handler gets to wait
    # for them: the failure must still reach that turn's reply.
    queue = SessionStore._queue

    def queue_then_settle(self, write):
        queue(self, write)
        self.flush()

    monkeypatch.setattr(SessionStore, "_queue", queue_then_settle)
    chat.ask("alpha")
    refuse_run_inserts(chat.path)
    with pytest.raises(litellm.ServiceUnavailableError, match="could not be stored"):
        chat.ask("beta")
    assert chat.stored() == ["alpha"]


def test_a_turn_whose_row_cannot_be_built_is_reported_not_swallowed(tmp_path, caplog):
    class Opaque:  # neither pickle nor the database's JSON encoding can take it
        pass

    store = make_db(f"sqlite:///{tmp_path}/s.db")
    watched = store.watch("chat-1")
    agent = agent_on(store)
    agent.run("say one", session_id="chat-1", user_id="ada", session_state={"x": Opaque()})
    store.unwatch("chat-1", watched)
    failures = [f.exception(timeout=10) for f in watched]
    assert any(isinstance(f, TypeError) for f in failures)
    assert "could not store a turn of session chat-1" in caplog.text


def test_deleting_a_session_removes_it_from_memory_and_disk(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    converse(store, "chat-1", "ada", ["one"])
    assert store.delete_session("chat-1")
    assert store.get_session("chat-1", SessionType.AGENT, user_id="ada") is None
    assert SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT) is None


def test_queued_turns_are_committed_when_the_process_exits(tmp_path):
    path = tmp_path / "s.db"
    script = (
        "from agentllm.db import make_db\n"
        "from tests.unit.test_store import converse\n"
        f"converse(make_db('sqlite:///{path}'), 'chat-1', 'ada', ['one', 'two', 'three'])\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])
    runs = SqliteDb(db_file=str(path)).get_session("chat-1", SessionType.AGENT).runs
    assert len(runs) == 3


def test_many_conversations_at_once_are_all_stored(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    threads = [
        threading.Thread(target=converse, args=(store, f"chat-{i}", f"user-{i}", ["a", "b"]))
        for i in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.flush()
    plain = SqliteDb(db_file=f"{tmp_path}/s.db")
    for i in range(12):
        session = plain.get_session(f"chat-{i}", SessionType.AGENT, user_id=f"user-{i}")
        assert [r.input.input_content_string() for r in session.runs] == ["say a", "say b"]


# --- the writer on its own -------------------------------------------------------------------


def write(kind: str, key: str, **row) -> Write:
    field = "session_id" if kind == "session" else "run_id"
    return Write(kind, "s", {field: key, **row})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        ([write("run", "r1", v=1), write("run", "r1", v=2)], [write("run", "r1", v=2)]),
        (
            [write("run", "r1", run_index=4), write("run", "r1", run_index=None, v=2)],
            [write("run", "r1", run_index=4, v=2)],
        ),
        (
            [write("session", "s1", v=1), write("run", "s1", v=1)],
            [write("session", "s1", v=1), write("run", "s1", v=1)],
        ),
        ([write("run", "r1"), write("run", "r2")], [write("run", "r1"), write("run", "r2")]),
    ],
)
def test_a_batch_writes_each_row_once_with_its_last_value(writes, expected):
    assert coalesce(writes) == expected


def test_one_bad_write_fails_alone_not_the_batch_it_came_in():
    committed: list[list[Write]] = []
    gate = threading.Event()

    def commit(batch: list[Write]) -> None:
        gate.wait()
        if any(w.row.get("bad") for w in batch):
            raise RuntimeError("refused")
        committed.append(batch)

    writer = BatchWriter(commit)
    futures = [
        writer.submit(Write("run", f"s{i}", {"run_id": f"r{i}", "bad": i == 2})) for i in range(5)
    ]
    gate.set()
    outcomes = [f.exception(timeout=10) for f in futures]
    writer.close()
    assert [o is None for o in outcomes] == [True, True, False, True, True]
    assert sorted(w.row["run_id"] for batch in committed for w in batch) == ["r0", "r1", "r3", "r4"]


def test_flush_returns_only_after_every_earlier_write_is_settled_even_if_retried():
    gate = threading.Event()

    def commit(batch: list[Write]) -> None:
        gate.wait()
        if any(w.row.get("bad") for w in batch):
            raise RuntimeError("refused")
        time.sleep(0.02)

    writer = BatchWriter(commit)
    writer.submit(Write("run", "first", {"run_id": "first"}))  # holds the writer at the gate
    futures = [
        writer.submit(Write("run", f"s{i}", {"run_id": f"r{i}", "bad": i == 0})) for i in range(4)
    ]
    threading.Timer(0.2, gate.set).start()
    writer.flush()  # its marker is batched with the four writes, whose batch fails and is retried
    assert [f.done() for f in futures] == [True] * 4
    assert futures[0].exception() is not None and futures[3].exception() is None
    writer.close()


# --- the chat-history tool -------------------------------------------------------------------


def test_chat_history_tool_returns_the_stored_conversation(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    converse(store, "chat-1", "ada", ["one", "two"])
    agent = agent_on(store)
    history = json.loads(
        get_chat_history(agent, RunContext(run_id="r", session_id="chat-1", user_id="ada"))
    )
    assert [(m["role"], m["content"]) for m in history if m["role"] == "user"] == [
        ("user", "say one"),
        ("user", "say two"),
    ]
    assert len(history) == 4
    last = json.loads(
        get_chat_history(
            agent, RunContext(run_id="r", session_id="chat-1", user_id="ada"), num_chats=1
        )
    )
    assert last == history[-1:]


def test_chat_history_tool_shows_the_model_only_num_chats():
    schema = Function.from_callable(get_chat_history).parameters
    assert list(schema["properties"]) == ["num_chats"]


def test_approval_status_updates_still_reach_approvals_that_exist(tmp_path):
    from agno.run.base import RunStatus

    store = make_db(f"sqlite:///{tmp_path}/s.db")
    # Before the table exists, the update Agno makes after every run is a no-op, as in Agno.
    assert store.update_approval_run_status("run-0", RunStatus.completed) == 0
    store.flush()
    store.create_approval(
        {
            "id": "ap-1",
            "run_id": "run-1",
            "session_id": "chat-1",
            "status": "pending",
            "source_type": "agent",
            "pause_type": "confirmation",
            "run_status": "PAUSED",
        }
    )
    store.update_approval_run_status("run-1", RunStatus.completed)
    store.flush()
    assert store.get_approval("ap-1")["run_status"] == "COMPLETED"


def test_the_cache_is_bounded_by_turns_and_drops_the_least_recently_used(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db", session_cache_turns=5)
    converse(store, "chat-a", "ada", ["one", "two"])
    converse(store, "chat-b", "bob", ["one", "two"])
    store.get_session("chat-a", SessionType.AGENT, user_id="ada")  # a is now the most recent
    converse(store, "chat-c", "cy", ["one", "two"])
    assert (len(store.sessions), store.sessions.turns) == (2, 4)
    seen = statements(store)
    assert store.get_session("chat-a", SessionType.AGENT, user_id="ada") is not None
    assert seen == []
    # b was dropped from memory, not from disk.
    assert len(store.get_session("chat-b", SessionType.AGENT, user_id="bob").runs) == 2
    assert seen
    # A conversation longer than the whole bound is never kept, only read.
    converse(store, "chat-long", "dee", ["1", "2", "3", "4", "5", "6"])
    assert store.sessions.get("chat-long") is None
    assert store.sessions.turns <= 5


def test_server_shutdown_commits_the_queue_and_stops_the_writer(tmp_path):
    from agentllm.db import shared_db
    from agentllm.proxy.app import with_store_shutdown

    store = shared_db(f"sqlite:///{tmp_path}/shutdown.db")
    converse(store, "chat-1", "ada", ["one"])
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def inner(scope, receive, send):  # a minimal ASGI lifespan, as LiteLLM's app has
        while True:
            message = await receive()
            sent.append(message["type"])
            if message["type"] == "lifespan.shutdown":
                return

    async def receive():
        return next(messages)

    async def send(message):
        pass

    asyncio.run(with_store_shutdown(inner)({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup", "lifespan.shutdown"]
    assert not store._writer._thread.is_alive() and store._process._process is None
    runs = SqliteDb(db_file=f"{tmp_path}/shutdown.db").get_session("chat-1", SessionType.AGENT).runs
    assert len(runs) == 1


def test_a_killed_writer_process_is_replaced_and_no_turn_is_lost(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/s.db")
    converse(store, "chat-1", "ada", ["one"])
    store.flush()
    store._process._process.kill()
    store._process._process.wait()
    converse(store, "chat-1", "ada", ["two"])
    store.flush()
    runs = SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT).runs
    assert [said(r) for r in runs] == ["say one", "say two"]


def test_the_writer_process_never_sees_the_database_url_on_its_command_line(tmp_path):
    store = make_db(f"sqlite:///{tmp_path}/secret-name.db")
    converse(store, "chat-1", "ada", ["one"])
    store.flush()
    command = Path(f"/proc/{store._process._process.pid}/cmdline").read_bytes()
    assert b"secret-name" not in command
