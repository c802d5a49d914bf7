"""Cancellation, shutdown and timeouts: no run keeps going for nobody, no completed turn is lost."""

from __future__ import annotations

import signal
import time
import uuid

import httpx
import pytest

from agentllm.provider.identity import ANONYMOUS
from tests.integration.conftest import start_proxy, stop_proxy
from tests.support.store import stored_runs

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
LONG = " ".join(f"w{i}" for i in range(60))  # the echo reply streams ~120 words


def runs(proxy, chat):
    return stored_runs(proxy.db_path, ANONYMOUS, chat)


def wait_for(predicate, seconds=20.0):
    # A poll: the run's stored state lives in the proxy's database and announces itself nowhere.
    deadline, pause = time.monotonic() + seconds, 0.01
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.2)
    return predicate()


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    running = start_proxy(
        tmp_path_factory.mktemp("slow-lifecycle"), {"AGENTLLM_ECHO_DELAY": "0.05"}
    )
    yield running
    stop_proxy(running)


def stream_request(proxy, chat, text):
    return httpx.stream(
        "POST",
        f"{proxy.base_url}/chat/completions",
        headers={"Authorization": f"Bearer {proxy.key}", "X-Session-Id": chat},
        json={"model": AGENT, "messages": [{"role": "user", "content": text}], "stream": True},
        timeout=60,
    )


def test_client_disconnect_cancels_the_agent_run(slow):
    chat = uuid.uuid4().hex
    with stream_request(slow, chat, LONG) as response:
        lines = response.iter_lines()
        received = [next(lines) for _ in range(6)]
    assert any(line.startswith("data: ") for line in received)
    # The model would need ~6 s to finish; a cancelled run stops and is stored as cancelled.
    final = wait_for(lambda: [r for r in runs(slow, chat) if r.status.value != "RUNNING"])
    assert [r.status.value for r in final] == ["CANCELLED"]
    assert len((final[0].content or "").split()) < 100
    # The cancelled turn is not part of the conversation's history.
    reply = slow.client().chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": "next"}],
        extra_headers={"X-Session-Id": chat},
    )
    assert reply.choices[0].message.content.endswith("context: next")


def test_sigterm_lets_active_streams_finish_and_keeps_their_turns(tmp_path):
    proxy = start_proxy(tmp_path, {"AGENTLLM_ECHO_DELAY": "0.02"})
    chat = uuid.uuid4().hex
    try:
        with stream_request(proxy, chat, LONG) as response:
            lines = response.iter_lines()
            first = next(lines)
            proxy.process.send_signal(signal.SIGTERM)
            rest = [line for line in lines if line]
        assert first.startswith("data: ")
        assert rest[-1] == "data: [DONE]"
        # uvicorn shuts down gracefully, then re-raises the signal it caught (exit status -15).
        assert proxy.process.wait(timeout=60) in (0, -signal.SIGTERM)
        assert "Finished server process" in proxy.log()
    finally:
        stop_proxy(proxy)
    assert [r.status.value for r in runs(proxy, chat)] == ["COMPLETED"]


def test_request_timeout_is_configurable(tmp_path):
    proxy = start_proxy(tmp_path, {"AGENTLLM_ECHO_DELAY": "0.2", "AGENTLLM_REQUEST_TIMEOUT": "1"})
    try:
        response = httpx.post(
            f"{proxy.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {proxy.key}"},
            json={"model": AGENT, "messages": [{"role": "user", "content": LONG}]},
            timeout=60,
        )
        assert response.status_code == 504
        assert "AGENTLLM_REQUEST_TIMEOUT" in response.json()["error"]["message"]
    finally:
        stop_proxy(proxy)
