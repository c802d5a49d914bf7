"""Several proxy processes on one PostgreSQL: every turn stored once, whoever serves it.

Two proxies share a throw-away cluster; conversations move between them, clients share
conversations, a proxy is killed mid-stream, PostgreSQL restarts under load, and one proxy runs
two worker processes. The offline model's ``context:`` line lists every user message the agent
received for the conversation, so it shows exactly what the store held at each turn.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from agentllm.provider.identity import ANONYMOUS
from tests.integration.conftest import (
    ROOT,
    Proxy,
    free_port,
    running_proxy,
    start_proxy,
    stop_proxy,
)
from tests.integration.postgres import Cluster, running_cluster, server_bin
from tests.support.store import stored_user_messages

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        server_bin() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    ),
]

AGENT = "agno/release-manager"


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    with running_cluster() as running:
        yield running


def pg_proxy(tmp: Path, cluster: Cluster, *args: str, **env: str) -> Proxy:
    tmp.mkdir(parents=True, exist_ok=True)
    return start_proxy(tmp, {"AGENTLLM_DB_URL": cluster.url, **env}, args=args)


def pg_running(
    tmp: Path, cluster: Cluster, *args: str, **env: str
) -> AbstractContextManager[Proxy]:
    """``pg_proxy`` as a context, stopped on leaving it (see ``running_proxy``)."""
    tmp.mkdir(parents=True, exist_ok=True)
    return running_proxy(tmp, {"AGENTLLM_DB_URL": cluster.url, **env}, args=args)


@pytest.fixture(scope="module")
def pair(cluster, tmp_path_factory):
    with (
        pg_running(tmp_path_factory.mktemp("proxy-a"), cluster) as first,
        pg_running(tmp_path_factory.mktemp("proxy-b"), cluster) as second,
    ):
        yield first, second


@dataclass
class Reply:
    status: int
    text: str = ""
    complete: bool = False  # the client saw the whole reply (a finish_reason, then [DONE])

    @property
    def context(self) -> list[str]:
        return self.text.split("\ncontext: ", 1)[1].split(" | ")


def ask(proxy: Proxy, chat: str, text: str, stream: bool = False, timeout: float = 60) -> Reply:
    """One turn, sending only the newest message (the store holds the rest)."""
    body = {"model": AGENT, "messages": [{"role": "user", "content": text}], "stream": stream}
    headers = {"Authorization": f"Bearer {proxy.key}", "X-Session-Id": chat}
    url = f"{proxy.base_url}/chat/completions"
    # A new connection per request: with several workers, the kernel spreads them.
    with httpx.Client(timeout=timeout, headers={"Connection": "close"}) as http:
        if not stream:
            response = http.post(url, json=body, headers=headers)
            if response.status_code != 200:
                return Reply(response.status_code, response.text)
            message = response.json()["choices"][0]["message"]["content"]
            return Reply(200, message, complete=True)
        parts, finished, done = [], False, False
        with http.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code != 200:
                return Reply(response.status_code, response.read().decode())
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    done = True
                    break
                event = httpx.Response(200, content=line[6:]).json()
                if "error" in event:
                    return Reply(500, str(event["error"]))
                for choice in event.get("choices") or []:
                    parts.append((choice.get("delta") or {}).get("content") or "")
                    finished = finished or bool(choice.get("finish_reason"))
        return Reply(200, "".join(parts), complete=finished and done)


def stored_messages(cluster: Cluster, chat: str) -> list[str]:
    """The conversation's user messages as stored, read from PostgreSQL with plain Agno."""
    return stored_user_messages(cluster.url, ANONYMOUS, chat)


def test_a_conversation_alternating_between_two_proxies_keeps_every_turn_once(pair):
    chat = uuid.uuid4().hex
    sent = []
    for turn in range(8):
        text = f"turn-{turn}"
        sent.append(text)
        reply = ask(pair[turn % 2], chat, text, stream=turn % 3 == 0)
        assert reply.status == 200 and reply.complete, reply.text
        assert reply.context == sent


def test_eight_clients_sharing_conversations_over_two_proxies_lose_and_repeat_nothing(
    cluster, pair
):
    chats = [uuid.uuid4().hex for _ in range(4)]  # two clients per conversation

    def client(number: int) -> list[tuple[str, str]]:
        chat, done = chats[number % 4], []
        for turn in range(50):
            text = f"c{number}-t{turn}"
            reply = ask(pair[(number + turn) % 2], chat, text, stream=turn % 5 == 0)
            assert reply.status == 200 and reply.complete, reply.text
            # This turn saw every turn of its conversation before it, then its own message.
            assert reply.context[-1] == text
            assert len(set(reply.context)) == len(reply.context)
            done.append((chat, text))
        return done

    with ThreadPoolExecutor(8) as pool:
        sent = [pair for result in pool.map(client, range(8)) for pair in result]
    for chat in chats:
        expected = Counter(text for c, text in sent if c == chat)
        stored = Counter(stored_messages(cluster, chat))
        assert stored == expected  # each message exactly once, none missing


def test_a_client_that_disconnects_mid_stream_leaves_the_conversation_free(cluster, tmp_path):
    """Open WebUI's stop button: the turn is cancelled, and its advisory lock must go with it."""
    env = {"AGENTLLM_ECHO_DELAY": "0.05", "AGENTLLM_REQUEST_TIMEOUT": "8"}
    with (
        pg_running(tmp_path / "first", cluster, **env) as first,
        pg_running(tmp_path / "second", cluster, **env) as second,
    ):
        chat = uuid.uuid4().hex
        for proxy in (first, second, first):
            body = {
                "model": AGENT,
                "stream": True,
                "messages": [{"role": "user", "content": " ".join(["word"] * 40)}],
            }
            headers = {"Authorization": f"Bearer {proxy.key}", "X-Session-Id": chat}
            with (
                httpx.Client(timeout=30) as http,
                http.stream(
                    "POST", f"{proxy.base_url}/chat/completions", json=body, headers=headers
                ) as response,
            ):
                lines = response.iter_lines()
                assert any(line.startswith("data: ") for line in (next(lines) for _ in range(4)))
            # Gone mid-stream (the reply takes ~4 s). The next turn, on either proxy, gets the
            # conversation at once, not a 429 after the 8 s time limit.
            for other in (first, second):
                reply = ask(other, chat, "after")
                assert reply.status == 200, reply.text


def test_postgres_restart_answers_503_while_down_then_serves_without_a_proxy_restart(cluster, pair):
    chat = uuid.uuid4().hex
    assert ask(pair[0], chat, "before").status == 200
    cluster.stop()
    try:
        for proxy in pair:
            down = ask(proxy, chat, "while-down")
            assert down.status == 503, down.text
            assert "database" in down.text and "retry" in down.text
    finally:
        cluster.start()
    # The first request after the restart may still meet a connection the server cut; every
    # answer is a 503 or a success, and success comes within a few requests on each proxy.
    for number, proxy in enumerate(pair):
        replies = [ask(proxy, chat, f"after-{number}-{n}") for n in range(3)]
        assert {r.status for r in replies} <= {200, 503}, [r.text for r in replies]
        assert replies[-1].status == 200, replies[-1].text
    stored = stored_messages(cluster, chat)
    assert stored[0] == "before" and "while-down" not in stored
    assert len(set(stored)) == len(stored)


@dataclass
class Soak:
    """Clients streaming turns over two proxies while one of them is killed and restarted."""

    proxies: list[Proxy]
    replies: dict[str, list[tuple[str, Reply]]] = field(default_factory=dict)
    victim_turns: int = 0  # turns the victim received (finished or cut off)
    changed: threading.Condition = field(default_factory=threading.Condition)
    done: threading.Event = field(default_factory=threading.Event)


def test_killing_a_proxy_mid_stream_loses_no_reply_a_client_saw_complete(cluster, tmp_path):
    slow = {"AGENTLLM_ECHO_DELAY": "0.02"}  # ~0.4 s a reply: kills land mid-stream
    victim_dir = tmp_path / "victim"
    with ExitStack() as stack:
        survivor = stack.enter_context(pg_running(tmp_path / "survivor", cluster, **slow))
        soak = Soak([survivor, pg_proxy(victim_dir, cluster, **slow)])
        stack.callback(lambda: stop_proxy(soak.proxies[1]))  # whichever victim is running last
        soak_two_proxies(soak, cluster, victim_dir, slow)


def soak_two_proxies(soak: Soak, cluster: Cluster, victim_dir: Path, slow: dict[str, str]) -> None:
    """Six clients stream over both proxies while the second is killed and restarted 3 times."""
    survivor = soak.proxies[0]
    kills, turns_between_kills, most_turns = 3, 12, 150

    def client(number: int) -> None:
        chat, pick = uuid.uuid4().hex, random.Random(number)
        soak.replies[chat] = []
        for turn in range(most_turns):
            if soak.done.is_set():
                return
            text = f"c{number}-t{turn}"
            proxy = soak.proxies[pick.randrange(2)]
            if proxy is not survivor:
                with soak.changed:  # counted as it starts: the kill finds it in flight
                    soak.victim_turns += 1
                    soak.changed.notify_all()
            try:
                reply = ask(proxy, chat, text, stream=True, timeout=30)
            except httpx.ConnectError:
                # Like a load balancer: a proxy that is down gets no request; the other one does.
                reply = ask(survivor, chat, text, stream=True, timeout=30)
            except httpx.HTTPError as exc:  # cut off mid-stream: not retried (not idempotent)
                reply = Reply(0, str(exc))
            soak.replies[chat].append((text, reply))

    def killer() -> None:
        try:
            for _ in range(kills):
                with soak.changed:
                    target = soak.victim_turns + turns_between_kills
                    reached = soak.changed.wait_for(lambda t=target: soak.victim_turns >= t, 120)
                assert reached, "the victim proxy stopped receiving turns"
                victim = soak.proxies[1]
                os.kill(victim.process.pid, signal.SIGKILL)
                stop_proxy(victim)  # waits for the killed process and closes its log
                soak.proxies[1] = pg_proxy(victim_dir, cluster, **slow)
        finally:
            soak.done.set()

    with ThreadPoolExecutor(7) as pool:
        killing = pool.submit(killer)
        clients = [pool.submit(client, n) for n in range(6)]
        for future in [killing, *clients]:
            future.result()
    assert soak.victim_turns >= kills * turns_between_kills
    cut_off = [r for turns in soak.replies.values() for _, r in turns if not r.complete]
    assert cut_off, "no stream was cut off by a kill: the test proved nothing"
    for chat, turns in soak.replies.items():
        stored = Counter(stored_messages(cluster, chat))
        complete = [text for text, reply in turns if reply.status == 200 and reply.complete]
        assert all(stored[text] == 1 for text in complete), (chat, stored, complete)
        assert all(count == 1 for count in stored.values()), stored  # nothing twice
    # The restarted proxy serves.
    assert ask(soak.proxies[1], uuid.uuid4().hex, "hello").status == 200


def worker_pids(proxy: Proxy) -> list[int]:
    """The proxy's worker processes (uvicorn spawns them; multiprocessing's tracker is not one)."""
    children = Path(f"/proc/{proxy.process.pid}/task/{proxy.process.pid}/children")
    pids = [int(pid) for pid in children.read_text().split()]
    return [
        pid for pid in pids if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def test_one_proxy_with_two_workers_keeps_conversations_exact(cluster, tmp_path):
    proxy = pg_proxy(tmp_path / "workers", cluster, "--workers", "2")
    try:
        assert "2 worker processes" in proxy.log()
        workers = worker_pids(proxy)
        assert len(workers) == 2, workers
        chats = [uuid.uuid4().hex for _ in range(3)]

        def client(number: int) -> list[tuple[str, str]]:
            chat, done = chats[number % 3], []
            for turn in range(20):
                text = f"w{number}-t{turn}"
                reply = ask(proxy, chat, text, stream=turn % 4 == 0)
                assert reply.status == 200 and reply.complete, reply.text
                assert reply.context[-1] == text
                done.append((chat, text))
            return done

        with ThreadPoolExecutor(6) as pool:
            sent = [pair for result in pool.map(client, range(6)) for pair in result]
        for chat in chats:
            assert Counter(stored_messages(cluster, chat)) == Counter(
                t for c, t in sent if c == chat
            )
    finally:
        stop_proxy(proxy)


def test_sqlite_refuses_several_workers_and_a_second_process(tmp_path):
    first = start_proxy(tmp_path)
    try:
        for args in (("--workers", "2"), ()):
            command = [sys.executable, "-m", "agentllm", "serve", "--port", str(free_port())]
            command += ["--config", str(ROOT / "proxy_config.yaml"), *args]
            command += ["--runtime-config", str(tmp_path / "other.yaml")]
            env = {**os.environ, "AGENTLLM_DB_URL": f"sqlite:///{first.db_path}"}
            other = subprocess.run(
                command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
            )
            assert other.returncode == 2, other.stderr
            assert "PostgreSQL" in other.stderr, other.stderr
        assert ask(first, uuid.uuid4().hex, "still here").status == 200
    finally:
        stop_proxy(first)
