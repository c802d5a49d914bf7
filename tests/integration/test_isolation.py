"""50 users x 5 chats at once: each conversation sees only its own history."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.conftest import start_proxy, stop_proxy

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
USERS, CHATS = 50, 5


def context(reply) -> list[str]:
    return reply.choices[0].message.content.split("\ncontext: ", 1)[1].split(" | ")


async def test_fifty_users_times_five_chats_see_only_their_own_history(proxy):
    client = proxy.async_client()
    gate = asyncio.Semaphore(24)

    async def conversation(user: int, chat: int) -> list[str]:
        # Chat ids repeat across users on purpose: only the user tells them apart.
        if user % 2:
            identity = {
                "extra_headers": {
                    "X-OpenWebUI-User-Id": f"user-{user}",
                    "X-OpenWebUI-Chat-Id": f"chat-{chat}",
                }
            }
        else:
            identity = {"user": f"user-{user}", "extra_headers": {"X-Session-Id": f"chat-{chat}"}}
        secret = f"secret-{user}-{chat}"
        async with gate:
            first = await client.chat.completions.create(
                model=AGENT, messages=[{"role": "user", "content": secret}], **identity
            )
        assert context(first) == [secret]
        async with gate:
            if user % 2:  # Open WebUI sends the whole chat every turn
                messages = [
                    {"role": "user", "content": secret},
                    {"role": "assistant", "content": first.choices[0].message.content},
                    {"role": "user", "content": "check"},
                ]
            else:
                messages = [{"role": "user", "content": "check"}]
            second = await client.chat.completions.create(
                model=AGENT, messages=messages, **identity
            )
        return context(second)

    pairs = [(u, c) for u in range(USERS) for c in range(CHATS)]
    results = await asyncio.gather(*(conversation(u, c) for u, c in pairs))
    for (user, chat), seen in zip(pairs, results, strict=True):
        assert seen == [f"secret-{user}-{chat}", "check"], (user, chat, seen)


def test_open_webui_headers_can_be_distrusted(tmp_path):
    proxy = start_proxy(tmp_path, {"AGENTLLM_TRUST_OPENWEBUI_HEADERS": "false"})
    try:
        client = proxy.client()
        forged = {"X-OpenWebUI-User-Id": "victim", "X-OpenWebUI-Chat-Id": "victim-chat"}
        client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "one"}], extra_headers=forged
        )
        reply = client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "two"}], extra_headers=forged
        )
        # Headers ignored: no conversation id, so each request stands alone.
        assert context(reply) == ["two"]
        session = {"X-Session-Id": "own-chat"}
        client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "a"}], extra_headers=forged | session
        )
        reply = client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "b"}], extra_headers=forged | session
        )
        assert context(reply) == ["a", "b"]
    finally:
        stop_proxy(proxy)
