"""Property tests: any input either translates or raises our validation error, nothing else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from agentllm.provider.conversation import StoredRun, reconcile
from agentllm.provider.identity import parse_identity
from agentllm.provider.request import parse_request
from agentllm.provider.types import ChatRequest, RequestError, Turn
from agentllm.proxy.guard import check_body

CHAT = "/chat/completions"

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
role = st.sampled_from(["user", "assistant", "system", "developer", "tool", "wizard", None, 3])
image_url = st.fixed_dictionaries(
    {
        "url": json_leaf
        | st.sampled_from(["data:", "data:image/png;base64,", "http://", "https://[", "file:"])
        | st.builds(
            lambda prefix, tail: prefix + tail,
            st.sampled_from(["data:image/png;base64,", "data:image/gif;", "https://", "ftp:"]),
            st.text(max_size=20),
        ),
        "detail": json_leaf,
    }
)
content = (
    st.text(max_size=30)
    | st.none()
    | st.integers()
    | st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "image_url", 5]), "text": json_leaf}
        )
        | st.fixed_dictionaries({"type": st.just("image_url"), "image_url": image_url | json_leaf}),
        max_size=3,
    )
)
message = st.fixed_dictionaries({"role": role, "content": content}) | json_value
params = st.dictionaries(
    st.sampled_from(
        [
            "temperature",
            "max_tokens",
            "top_p",
            "stop",
            "seed",
            "n",
            "stream",
            "max_completion_tokens",
        ]
    ),
    json_value,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(
    model=json_value | st.text(max_size=20),
    messages=st.lists(message, max_size=5) | json_value,
    params=params,
)
def test_any_request_translates_or_raises_request_error(model, messages, params):
    try:
        request = parse_request(model, messages, params)
    except RequestError as error:
        assert error.message
    else:
        assert isinstance(request, ChatRequest)
        assert isinstance(request.message, str)
        assert all(t.role in ("user", "assistant") for t in request.history)


headers = st.dictionaries(
    st.sampled_from(
        ["x-openwebui-chat-id", "x-openwebui-user-id", "x-session-id", "X-Session-Id", "other"]
    ),
    st.text(max_size=300),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(headers=headers, body=json_value, metadata=json_value, trust=st.booleans())
def test_any_identity_parses_or_raises_request_error(headers, body, metadata, trust):
    litellm_params = {
        "metadata": metadata if isinstance(metadata, dict) else {"headers": headers},
        "proxy_server_request": {"headers": headers, "body": body},
    }
    try:
        identity = parse_identity(litellm_params, trust)
    except RequestError as error:
        assert error.message
    else:
        assert identity.user_id and len(identity.user_id) <= 256
        session = identity.session_id_for("agent")
        assert session is None or (session.startswith("chat-") and len(session) == 45)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | json_value.map(lambda v: json.dumps(v).encode()))
def test_any_body_is_accepted_or_explained(raw):
    for endpoint in (None, CHAT, "/responses", "/messages"):
        problem = check_body(raw, endpoint)
        assert problem is None or (problem.message and problem.param != "")


turn = st.builds(
    Turn,
    role=st.sampled_from(["user", "assistant"]),
    content=st.sampled_from(["a", "b", "c", " a"]),
)
runs = st.lists(st.lists(turn, min_size=1, max_size=3), max_size=4).map(
    lambda groups: [StoredRun(f"r{i}", tuple(g)) for i, g in enumerate(groups)]
)


@settings(max_examples=200, deadline=None)
@given(stored=runs, history=st.lists(turn, max_size=6), full=st.booleans())
def test_reconciliation_shows_the_client_history_exactly_once(stored, history, full):
    plan = reconcile(stored, history, full)
    if not history and not full:
        assert plan.use_stored_history and not plan.superseded
        return
    assert not plan.use_stored_history
    assert list(plan.replay) + list(plan.record) == history
    kept = [r for r in stored if r.run_id not in plan.superseded]
    assert [r.run_id for r in stored[: len(kept)]] == [
        r.run_id for r in kept
    ]  # superseded is a suffix
    assert sum(len(r.turns) for r in kept) == len(plan.replay)


def message_of(problem: RequestError | None) -> str:
    return problem.message if problem is not None else ""


def chat_body(**fields) -> bytes:
    return json.dumps({"model": "agno/x", **fields}).encode()


def test_json_nested_past_the_parsers_limit_or_the_guards_is_refused_not_raised():
    deep = b'{"model": "x", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert "nested more than 100" in message_of(check_body(deep, CHAT))
    at_limit = json.loads('{"a":' * 99 + "1" + "}" * 99)  # the body object is the 100th level
    past_limit = json.loads('{"a":' * 100 + "1" + "}" * 100)
    messages = [{"role": "user", "content": "hi"}]
    assert check_body(chat_body(messages=messages, metadata=at_limit), CHAT) is None
    assert "nested" in message_of(
        check_body(chat_body(messages=messages, metadata=past_limit), CHAT)
    )


def test_user_content_parts_need_a_type_litellm_knows():
    def parts(*content):
        return chat_body(messages=[{"role": "user", "content": list(content)}])

    assert check_body(parts({"type": "text", "text": "hi"}), CHAT) is None
    assert "'wizard'" in message_of(check_body(parts({"type": "wizard"}), CHAT))
    assert "None" in message_of(check_body(parts({"text": "no type"}), CHAT))
