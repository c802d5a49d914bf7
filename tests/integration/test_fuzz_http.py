"""Fuzzing the real proxy over HTTP: whatever a client sends, the answer is never a 5xx.

Hypothesis builds chat bodies from the pieces clients get wrong (roles, content and its parts,
parameters, nesting) mixed with well-formed ones. Every answer must be a 200 or an OpenAI-format
4xx error, and a well-formed request must keep working after each one.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"

leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
value = st.recursive(
    leaf,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
part_type = st.sampled_from(["text", "image_url", "input_audio", "file", "wizard", "", 7, None])
part = (
    st.fixed_dictionaries(
        {"type": part_type},
        optional={
            "text": st.text(max_size=20) | leaf,
            "image_url": st.fixed_dictionaries({"url": st.text(max_size=30)}) | leaf,
        },
    )
    | value
)
content = st.text(max_size=30) | st.none() | st.integers() | st.lists(part, max_size=3) | value
role = st.sampled_from(
    ["user", "assistant", "system", "developer", "tool", "function", "", None, 3]
)
message = (
    st.fixed_dictionaries(
        {"role": role, "content": content},
        optional={"name": leaf, "tool_calls": value, "tool_call_id": leaf},
    )
    | value
)
good_message = st.fixed_dictionaries(
    {"role": st.just("user"), "content": st.text(min_size=1, max_size=30)}
)
body = st.fixed_dictionaries(
    {
        "model": st.sampled_from([AGENT, "agno/", "agno/nope", "", 5]) | leaf,
        "messages": st.lists(message | good_message, max_size=4) | value,
    },
    optional={
        "stream": st.booleans() | leaf,
        "temperature": st.floats(allow_nan=False, min_value=-3, max_value=3) | leaf,
        "max_tokens": st.integers(min_value=-2, max_value=50) | leaf,
        "top_p": leaf,
        "stop": leaf | st.lists(leaf, max_size=3),
        "user": leaf,
        "metadata": value,
        "tools": value
        | st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["function", "x"]) | leaf, "function": value}
            ),
            max_size=2,
        ),
        "tool_choice": leaf | value,
        "response_format": value
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "json_object", "json_schema", "x"])}
        ),
        "n": leaf,
        "seed": leaf,
        "max_completion_tokens": leaf,
        "stream_options": value,
    },
)


@settings(
    max_examples=int(os.environ.get("AGENTLLM_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=body)
def test_no_body_gets_a_5xx_and_the_proxy_keeps_serving(proxy, payload):
    headers = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
    raw = json.dumps(payload).encode()
    with httpx.Client(timeout=30, headers=headers) as http:
        response = http.post(f"{proxy.base_url}/chat/completions", content=raw)
        assert response.status_code < 500, (payload, response.text[:500])
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["message"], error
        elif payload.get("stream") is True:
            assert "data: [DONE]" in response.text, response.text[-300:]
        good = {"model": AGENT, "messages": [{"role": "user", "content": "still fine"}]}
        assert http.post(f"{proxy.base_url}/chat/completions", json=good).status_code == 200
