"""A Jira that accepts connections and never answers costs the server one probe at start-up, and
no request ever waits on it: four concurrent requests, each building a new agent (a new
temperature), are all answered while the hung Jira has seen only the start-up connection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.integration.conftest import Proxy, start_proxy, stop_proxy
from tests.support.hung_listener import HungListener, hung_listener

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


@pytest.fixture(scope="module")
def hung_jira() -> Iterator[HungListener]:
    with hung_listener() as jira:
        yield jira


@pytest.fixture(scope="module")
def jira_proxy(tmp_path_factory, hung_jira) -> Iterator[Proxy]:
    running = start_proxy(
        tmp_path_factory.mktemp("hung-jira"), extra_env={"JIRA_SERVER_URL": hung_jira.url}
    )
    yield running
    stop_proxy(running)


def test_start_up_probed_the_hung_jira_once_and_logged_it(jira_proxy, hung_jira):
    assert hung_jira.connections() == 1
    assert "Jira at JIRA_SERVER_URL did not answer (ReadTimeout)" in jira_proxy.log()


def test_concurrent_new_agents_never_touch_the_hung_jira(jira_proxy, hung_jira):
    async def ask(temperature: float) -> str:
        async with jira_proxy.async_client(timeout=60) as client:
            reply = await client.chat.completions.create(
                model=AGENT,
                messages=[{"role": "user", "content": f"hello at {temperature}"}],
                temperature=temperature,
            )
        return reply.choices[0].message.content or ""

    async def ask_all() -> list[str]:
        return await asyncio.gather(*(ask(t) for t in (0.1, 0.2, 0.3, 0.4)))

    replies = asyncio.run(ask_all())
    assert all(f"hello at {t}" in r for t, r in zip((0.1, 0.2, 0.3, 0.4), replies, strict=True))
    assert hung_jira.connections() == 1  # only start-up's probe: no build asked Jira
