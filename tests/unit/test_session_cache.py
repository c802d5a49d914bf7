"""The bounded cache of sessions the SQLite store serves turns from."""

from __future__ import annotations

from agno.db.base import SessionType
from agno.run.agent import RunOutput
from agno.session import AgentSession, TeamSession

from agentllm.session_cache import SessionCache


def session(session_id: str, runs: int, user_id: str = "ada", kind=AgentSession):
    return kind(
        session_id=session_id,
        user_id=user_id,
        runs=[RunOutput(run_id=f"{session_id}-{n}", session_id=session_id) for n in range(runs)],
    )


def test_a_kept_session_is_served_only_to_its_user_and_type():
    cache = SessionCache()
    kept = session("s1", 2)
    cache.put(kept, window=None)
    assert cache.get("s1", "ada", SessionType.AGENT, None).session is kept
    assert cache.get("s1", "ada", None, None).session is kept
    assert cache.get("s1", "bob", SessionType.AGENT, None) is None
    assert cache.get("s1", "ada", SessionType.TEAM, None) is None
    assert cache.get("s2", "ada", SessionType.AGENT, None) is None
    team = session("t1", 1, kind=TeamSession)
    cache.put(team, window=None)
    assert cache.get("t1", "ada", SessionType.TEAM, None).session is team


def test_a_session_read_in_part_serves_only_reads_of_as_many_runs_or_fewer():
    cache = SessionCache()
    cache.put(session("s1", 11), window=10)
    assert cache.get("s1", "ada", SessionType.AGENT, 10) is not None
    assert cache.get("s1", "ada", SessionType.AGENT, 5) is not None
    assert cache.get("s1", "ada", SessionType.AGENT, 12) is None
    assert cache.get("s1", "ada", SessionType.AGENT, None) is None  # every run: not held


def test_the_least_recently_used_go_first_when_conversations_or_runs_are_over_budget():
    cache = SessionCache(max_sessions=3, max_runs=10)
    for name in ("a", "b", "c"):
        cache.put(session(name, 3), window=None)
    cache.get("a", "ada", SessionType.AGENT, None)  # a is now the most recently used
    cache.put(session("d", 3), window=None)  # 12 runs > 10: b goes
    assert [n for n in "abcd" if n in cache] == ["a", "c", "d"]
    cache.put(session("e", 1), window=None)  # 4 conversations > 3: c goes
    assert [n for n in "acde" if n in cache] == ["a", "d", "e"]
    cache.put(session("huge", 11), window=None)  # more than the whole budget: not kept
    assert "huge" not in cache and "e" in cache


def test_clearing_forgets_everything_and_says_so():
    cache = SessionCache()
    cache.put(session("a", 1), window=None)
    before = cache.generation
    cache.clear()
    assert cache.get("a", "ada", None, None) is None and cache.generation == before + 1


def test_replacing_a_session_counts_its_runs_once():
    cache = SessionCache(max_runs=4)
    for runs in (2, 3, 4):
        cache.put(session("a", runs), window=None)  # the same conversation, one turn longer
    cache.put(session("b", 0), window=None)
    assert cache.get("a", "ada", None, None) is not None  # 4 runs, within the budget
    cache.drop("a")
    cache.put(session("c", 4), window=None)
    assert len(cache) == 2
