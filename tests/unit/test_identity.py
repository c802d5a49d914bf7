"""Request identity: who asks, in which conversation, parsed from one place."""

from __future__ import annotations

import pytest

from agentllm.provider.identity import ANONYMOUS, RequestIdentity, parse_identity
from agentllm.provider.types import RequestError


def params(headers=None, body=None, metadata=None):
    meta = {"headers": headers or {}}
    meta.update(metadata or {})
    return {
        "metadata": meta,
        "proxy_server_request": {"headers": headers or {}, "body": body or {}},
    }


@pytest.mark.parametrize(
    ("litellm_params", "user", "chat"),
    [
        (params(), ANONYMOUS, None),
        (None, ANONYMOUS, None),
        (params(headers={"x-openwebui-chat-id": "c1", "x-openwebui-user-id": "u1"}), "u1", "c1"),
        (params(body={"metadata": {"session_id": "s1"}}), ANONYMOUS, "s1"),
        (params(body={"metadata": {"chat_id": "c2"}}), ANONYMOUS, "c2"),
        (params(headers={"x-session-id": "s3"}), ANONYMOUS, "s3"),
        (
            params(
                headers={"x-openwebui-chat-id": "h", "x-session-id": "s"},
                body={"metadata": {"session_id": "m"}},
            ),
            ANONYMOUS,
            "h",
        ),
        (
            params(headers={"x-session-id": "s"}, body={"metadata": {"chat_id": "m"}}),
            ANONYMOUS,
            "m",
        ),
        (params(body={"user": "alice"}), "alice", None),
        (params(metadata={"user_api_key_end_user_id": "bob"}), "bob", None),
        (params(metadata={"user_api_key_user_id": "key-owner"}), "key-owner", None),
        (params(headers={"x-openwebui-user-id": "ow"}, body={"user": "alice"}), "ow", None),
        (params(body={"user": "  "}), ANONYMOUS, None),
    ],
)
def test_identity_first_source_wins(litellm_params, user, chat):
    identity = parse_identity(litellm_params)
    assert (identity.user_id, identity.chat_id) == (user, chat)


@pytest.mark.parametrize(
    ("headers", "body", "full"),
    [
        ({"X-OpenWebUI-Chat-Id": "c1"}, {}, True),
        ({"x-session-id": "s"}, {}, False),
        ({}, {"metadata": {"session_id": "s"}}, False),
        ({}, {}, False),
    ],
)
def test_open_webui_chats_are_known_to_send_the_full_history(headers, body, full):
    assert parse_identity(params(headers=headers, body=body)).sends_full_history is full


def test_openwebui_headers_are_ignored_when_not_trusted():
    identity = parse_identity(
        params(
            headers={"x-openwebui-chat-id": "c", "x-openwebui-user-id": "u", "x-session-id": "s"}
        ),
        trust_openwebui_headers=False,
    )
    assert identity == RequestIdentity(user_id=ANONYMOUS, chat_id="s")


@pytest.mark.parametrize(
    "litellm_params",
    [
        params(headers={"x-session-id": "x" * 10_000}),
        params(headers={"x-session-id": "a\r\nb"}),
        params(body={"metadata": "not an object"}),
        params(body={"metadata": {"chat_id": ["list"]}}),
        params(body={"user": {"id": 1}}),
    ],
)
def test_malformed_ids_are_request_errors(litellm_params):
    with pytest.raises(RequestError):
        parse_identity(litellm_params)


def test_session_ids_are_namespaced_by_user_and_agent():
    a = RequestIdentity("alice", "chat-1")
    assert a.session_id_for("release-manager") == RequestIdentity("alice", "chat-1").session_id_for(
        "release-manager"
    )
    assert a.session_id_for("release-manager") != RequestIdentity("bob", "chat-1").session_id_for(
        "release-manager"
    )
    assert a.session_id_for("release-manager") != a.session_id_for("other")
    assert RequestIdentity("alice").session_id_for("release-manager") is None


@pytest.mark.parametrize("chat_id", ["../../etc/passwd", "'; DROP TABLE sessions; --", "ünï 🎉"])
def test_session_ids_are_safe_whatever_the_chat_id(chat_id):
    session_id = RequestIdentity("u", chat_id).session_id_for("a")
    assert session_id.startswith("chat-")
    assert session_id[5:].isalnum() and len(session_id) == 45
