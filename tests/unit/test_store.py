"""The conversation store: Agno's own reads and writes, one turn at a time, no turn lost unseen."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
from pathlib import Path

import litellm
import pytest
from agno.agent import Agent
from agno.db.base import BaseDb, SessionType
from agno.db.sqlite import SqliteDb
from agno.run import RunContext
from agno.run.agent import RunOutput
from agno.run.base import RunStatus
from agno.session import AgentSession
from agno.tools.function import Function

from agentllm.compat.agno import OVERRIDDEN, PASSED_THROUGH
from agentllm.db import make_db
from agentllm.models.offline import OfflineModel
from agentllm.provider.handler import AgnoLLM
from agentllm.provider.identity import RequestIdentity
from agentllm.provider.types import ModelParams
from agentllm.store import ConversationStore
from agentllm.tools import get_chat_history
from tests.support.handler import entry_point


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


def test_a_stored_conversation_reads_back_in_plain_agno_as_if_agno_wrote_it(tmp_path):
    ours, theirs = tmp_path / "ours.db", tmp_path / "agno.db"
    store = make_db(f"sqlite:///{ours}")
    converse(store, "chat-1", "ada", ["one", "two", "three"])
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


def test_every_agno_session_and_run_method_is_overridden_or_passed_through_on_purpose():
    """An Agno upgrade that adds a way to read or write sessions or runs fails here, loudly."""
    methods = {
        name
        for name in dir(BaseDb)
        if not name.startswith("_") and re.search(r"sessions?|runs?(_|$)", name)
    }
    assert methods - OVERRIDDEN - PASSED_THROUGH == set()
    assert (OVERRIDDEN | PASSED_THROUGH) - methods == set()  # nothing listed that is gone
    assert OVERRIDDEN.isdisjoint(PASSED_THROUGH)
    for name in OVERRIDDEN:
        assert name in ConversationStore.__dict__, name
    for name in PASSED_THROUGH:
        assert name not in ConversationStore.__dict__, name


def test_two_stores_on_one_database_see_each_others_turns(tmp_path):
    """Two processes (here: two store objects) on one database: no one reads a stale copy."""
    url = f"sqlite:///{tmp_path}/s.db"
    first, second = make_db(url), make_db(url)
    agents = [agent_on(first), agent_on(second)]
    for turn, word in enumerate(["one", "two", "three", "four"]):
        agents[turn % 2].run(f"say {word}", session_id="chat-1", user_id="ada")
    session = SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT)
    assert [said(run) for run in session.runs] == ["say one", "say two", "say three", "say four"]
    last = session.runs[-1].content
    assert "context: say one | say two | say three | say four" in last


def test_a_session_deleted_elsewhere_stays_deleted(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store, other = make_db(url), make_db(url)
    converse(store, "chat-1", "ada", ["one", "two"])
    assert other.delete_session("chat-1")
    converse(store, "chat-1", "ada", ["three"])
    session = SqliteDb(db_file=f"{tmp_path}/s.db").get_session("chat-1", SessionType.AGENT)
    assert [said(run) for run in session.runs] == ["say three"]


class Chat:
    """One conversation with agno/release-manager through the handler, on its own database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handler = AgnoLLM()
        self.session_id = RequestIdentity("ada", "c1").session_id_for("release-manager")

    def ask(self, text: str) -> str:
        return self.ask_with_history([{"role": "user", "content": text}])

    def ask_with_history(self, messages: list[dict[str, str]]) -> str:
        return asyncio.run(self.aask(messages))

    async def aask(self, messages: list[dict[str, str]]) -> str:
        reply = await entry_point(
            self.handler, "acompletion", "release-manager", messages, "ada", "c1"
        )
        return reply.choices[0].message.content

    def db(self) -> ConversationStore:
        """The store the handler's agent uses (after the first turn)."""
        return self.handler.agents.cached(("release-manager", ModelParams(), True)).db

    def stored(self) -> list[str]:
        """What the user said in each stored run, read by plain Agno from the file."""
        session = SqliteDb(db_file=str(self.path)).get_session(self.session_id, SessionType.AGENT)
        return [said(run) for run in session.runs] if session else []


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


def statements(db) -> list[tuple[str, int]]:
    """Every SQL statement ``db`` runs from now on, with the thread that ran it."""
    from sqlalchemy import event

    seen: list[tuple[str, int]] = []
    event.listen(
        db.db_engine,
        "before_cursor_execute",
        lambda *a: seen.append((a[2], threading.get_ident())),
    )
    return seen


def reads(seen: list[tuple[str, int]]) -> list[str]:
    """The reads of conversations among ``seen``."""
    return [s for s, _ in seen if s.startswith("SELECT") and re.search(r"agno_(sessions|runs)", s)]


def test_a_turn_reads_its_conversation_from_the_database_at_most_once(chat):
    """The handler reads the conversation to reconcile a client's history; Agno's own read in
    the same turn, under the same lock, gets that read instead of a second query."""
    history = [{"role": "user", "content": "alpha"}]
    first = chat.ask_with_history(history)
    history += [{"role": "assistant", "content": first}, {"role": "user", "content": "beta"}]
    db = chat.db()
    db.cache.clear()  # as after a restart: the conversation is only on disk
    seen = statements(db)
    second = chat.ask_with_history(history)
    assert "context: alpha | beta" in second
    assert len([s for s in reads(seen) if "FROM agno_sessions" in s]) == 1, reads(seen)


def test_the_next_turn_on_sqlite_is_served_from_memory_and_still_stored(chat):
    """SQLite is served by one process (agentllm.db.claim_sqlite): a conversation it stored is
    not read back from the file on its next turn."""
    first = chat.ask("alpha")
    seen = statements(chat.db())
    second = chat.ask_with_history(
        [
            {"role": "user", "content": "alpha"},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "beta"},
        ]
    )
    third = chat.ask("gamma")
    assert "context: alpha | beta" in second and "context: alpha | beta | gamma" in third
    assert reads(seen) == []
    assert chat.stored() == ["alpha", "beta", "gamma"]


def test_no_statement_of_a_turn_runs_on_the_event_loop(chat):
    """The loop never waits on the database: every read and write of a turn (Agno's own too)
    runs in the store's thread."""
    chat.ask("alpha")
    db = chat.db()
    seen = statements(db)
    chat.ask("beta")  # served from memory
    db.cache.clear()
    chat.ask("gamma")  # read from disk
    loop_thread = threading.get_ident()  # Chat.ask runs its event loop in this thread
    assert seen and not [s for s, thread in seen if thread == loop_thread]


def test_a_conversation_changed_outside_a_turn_is_read_again(chat):
    chat.ask("alpha")
    chat.ask("beta")
    # An Agno tool, an admin endpoint: any write that is not a turn's.
    assert chat.db().delete_session(chat.session_id)
    assert chat.ask("gamma").endswith("context: gamma")
    assert chat.stored() == ["gamma"]


def test_a_run_written_outside_a_turn_is_read_again(chat):
    """Agno's own writes of a session or run outside a turn (AgentOS, a tool): the next turn
    does not start from what this process kept in memory."""
    chat.ask("alpha")
    db = chat.db()
    [run] = db.get_session(chat.session_id, SessionType.AGENT, user_id="ada").runs
    run.status = RunStatus.regenerated  # out of the history, as Agno's regenerate does
    db.upsert_run(run, session_id=chat.session_id, user_id="ada")
    assert chat.ask("beta").endswith("context: beta")


def test_a_long_conversation_read_in_part_is_read_whole_when_a_client_sends_its_history(
    chat, monkeypatch
):
    """A newest-message-only turn of a long conversation reads (and keeps) only the agent's
    window of runs; a client that then sends the whole history is reconciled against every
    stored run, not that window."""
    from agentllm import session_cache

    monkeypatch.setattr(session_cache, "LONG_CONVERSATION", 3)
    history: list[dict[str, str]] = []
    for n in range(14):  # more than the release manager's window (num_history_runs=10)
        if n == 12:
            chat.db().cache.clear()  # from here on the conversation is read in part
        reply = chat.ask(f"w{n}")
        history += [{"role": "user", "content": f"w{n}"}, {"role": "assistant", "content": reply}]
    chat.ask_with_history([*history[:-2], {"role": "user", "content": "w13 again"}])
    # Only the last turn was replaced (regenerated): every earlier one stays in the history.
    session = SqliteDb(db_file=str(chat.path)).get_session(chat.session_id, SessionType.AGENT)
    kept = [said(run) for run in session.runs if run.status != RunStatus.regenerated]
    assert kept == [f"w{n}" for n in range(13)] + ["w13 again"]


def test_a_turn_stores_what_it_adds_not_the_history_it_replays(chat):
    """A client that sends its history gets it replayed to the agent; each stored run keeps as
    its input only its own message, not the whole history again (which would grow the database
    with the square of the conversation's length)."""
    history: list[dict[str, str]] = []
    for word in ["alpha", "beta", "gamma"]:
        history.append({"role": "user", "content": word})
        reply = chat.ask_with_history(history)
        history.append({"role": "assistant", "content": reply})
    assert "context: alpha | beta | gamma" in reply
    session = SqliteDb(db_file=str(chat.path)).get_session(chat.session_id, SessionType.AGENT)
    inputs = [[m["content"] for m in run.input.to_dict()["input_content"]] for run in session.runs]
    assert inputs == [["alpha"], ["beta"], ["gamma"]]


def test_a_turn_waits_for_its_conversation_and_gives_up_with_429_at_the_time_limit(
    chat, monkeypatch
):
    monkeypatch.setenv("AGENTLLM_REQUEST_TIMEOUT", "0.3")
    chat.ask("first")
    db = chat.handler.agents.cached(("release-manager", ModelParams(), True)).db

    async def while_another_turn_holds_it() -> None:
        async with db.aturn(chat.session_id, timeout=5):
            with pytest.raises(litellm.RateLimitError, match="another turn of this conversation"):
                await chat.aask([{"role": "user", "content": "second"}])

    asyncio.run(while_another_turn_holds_it())
    assert chat.ask("third").endswith("context: first | third")  # free again, nothing stored


def test_a_reply_ends_only_after_its_turn_is_on_disk(chat):
    chat.ask("first")
    # Another connection holds the write lock for a while: the turn's commit has to wait for
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
    # A fresh reader of the file sees the turn as soon as the reply returned.
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


def test_a_session_the_database_keeps_for_another_user_fails_the_turn(chat, caplog):
    """Agno's ownership check answers None instead of raising; that is a refused turn too."""
    squatter = SqliteDb(db_file=str(chat.path))
    squatter.upsert_session(AgentSession(session_id=chat.session_id, user_id="mallory"))
    with pytest.raises(litellm.ServiceUnavailableError, match="could not be stored"):
        chat.ask("alpha")
    # Nothing of ada's turn is stored in mallory's conversation.
    assert chat.stored() == []
    kept = SqliteDb(db_file=str(chat.path)).get_session(chat.session_id, SessionType.AGENT)
    assert kept.user_id == "mallory"
    assert "another user" in caplog.text


def test_a_run_that_ends_without_its_final_output_is_an_error_not_a_stop(chat, monkeypatch):
    real_arun = Agent.arun

    def arun_without_final_output(self, *args, **kwargs):
        async def events():
            async for event in real_arun(self, *args, **kwargs):
                if not isinstance(event, RunOutput):
                    yield event

        return events()

    monkeypatch.setattr(Agent, "arun", arun_without_final_output)
    with pytest.raises(litellm.BadGatewayError, match="without finishing its run"):
        chat.ask("alpha")


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
    plain = SqliteDb(db_file=f"{tmp_path}/s.db")
    for i in range(12):
        session = plain.get_session(f"chat-{i}", SessionType.AGENT, user_id=f"user-{i}")
        assert [r.input.input_content_string() for r in session.runs] == ["say a", "say b"]


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


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://ada:secret@db.example:5432/agents",
            "PostgreSQL at postgresql://db.example:5432/agents",
        ),
        ("postgres://ada:secret@db.example/agents", "PostgreSQL at postgresql://db.example/agents"),
        (
            "postgresql+psycopg://ada:secret@db.example/agents",
            "PostgreSQL at postgresql://db.example/agents",
        ),
        ("sqlite:///tmp/agno_sessions.db", "SQLite at tmp/agno_sessions.db"),
    ],
)
def test_database_urls_are_understood_and_shown_without_credentials(url, shown):
    from agentllm.db import describe

    assert describe(url) == shown
    assert "secret" not in shown and "ada" not in shown


def test_a_url_of_another_database_is_a_clear_configuration_error():
    from agentllm.db import DatabaseConfigError, parse_url

    with pytest.raises(DatabaseConfigError, match="sqlite:/// or postgresql://"):
        parse_url("mysql://ada@db/agents")


def test_a_newest_message_only_turn_reads_only_the_runs_the_agent_sees(chat, monkeypatch):
    """A client that sends only the newest message gets the stored conversation as context: once
    the conversation is long, the turn reads the agent's history window (num_history_runs) of
    runs, not every run, so a turn costs the same however long the conversation is; the runs
    stay in order on disk."""
    from sqlalchemy import event

    from agentllm import session_cache

    monkeypatch.setattr(session_cache, "LONG_CONVERSATION", 11)
    turns = 14  # more than LONG_CONVERSATION, and the release manager's num_history_runs (10)
    for n in range(turns - 1):
        chat.ask(f"word{n}")
    db = chat.db()
    db.cache.clear()  # the conversation is only on disk (a restart; PostgreSQL)
    run_reads: list[str] = []
    event.listen(
        db.db_engine,
        "before_cursor_execute",
        lambda *a: run_reads.append(a[2]) if a[2].startswith("SELECT agno_runs.run") else None,
    )
    last = chat.ask(f"word{turns - 1}")
    assert run_reads and all("LIMIT" in statement for statement in run_reads), run_reads
    # The agent still saw its window of the conversation, newest last.
    assert "word12" in last and "word3" in last and "word2 " not in last
    assert chat.stored() == [f"word{n}" for n in range(turns)]
    with sqlite3.connect(chat.path) as raw:
        indexes = [i for (i,) in raw.execute("SELECT run_index FROM agno_runs ORDER BY created_at")]
    assert indexes == list(range(turns))
