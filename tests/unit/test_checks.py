"""The per-endpoint body checks pass every well-formed shape and name what is wrong otherwise."""

from __future__ import annotations

import pytest
from litellm.types.llms.openai import ValidUserMessageContentTypes

from agentllm.provider.request import USER_PART_TYPES, check_chat_body, parse_messages
from agentllm.provider.types import RequestError
from agentllm.proxy.checks import CHECKS, check_messages_request, check_responses_request

AGENT = "agno/release-manager"
USER = {"role": "user", "content": "hi"}


def responses(**fields):
    return {"model": AGENT, "input": "hi", **fields}


def anthropic(**fields):
    return {"model": AGENT, "max_tokens": 10, "messages": [USER], **fields}


WELL_FORMED_RESPONSES = [
    responses(),
    responses(input=[USER], instructions=None, metadata=None),
    responses(instructions="Be brief.", metadata={"k": "v"}),
    responses(
        input=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "b"}],
            },
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "42"},
            {"type": "reasoning", "id": "r1", "summary": []},
            {"type": "item_reference", "id": "msg_1"},
            {
                "type": "web_search_call",
                "id": "ws_1",
                "status": "completed",
                "action": {"type": "search", "query": "release notes"},
            },
            {"role": "user", "content": [{"type": "input_image", "image_url": "https://x/a.png"}]},
        ]
    ),
]
WELL_FORMED_MESSAGES = [
    anthropic(),
    anthropic(system="Be brief.", metadata={"user_id": "u1"}),
    anthropic(system=[{"type": "text", "text": "Be brief."}], metadata={"user_id": None}),
    anthropic(
        messages=[
            USER,
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": "1"}],
            },
        ],
        tools=[{"name": "f", "input_schema": {"type": "object"}}, {"type": "web_search_20250305"}],
        tool_choice={"type": "tool", "name": "f"},
    ),
    anthropic(tool_choice={"type": "auto", "disable_parallel_tool_use": True}, tools=None),
    anthropic(thinking={"type": "enabled", "budget_tokens": 1024}),
    anthropic(thinking=None, tool_choice=None),
]


@pytest.mark.parametrize("body", WELL_FORMED_RESPONSES)
def test_well_formed_responses_bodies_pass(body):
    assert check_responses_request(body) is None


@pytest.mark.parametrize("body", WELL_FORMED_MESSAGES)
def test_well_formed_messages_bodies_pass(body):
    assert check_messages_request(body) is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (responses(model=5), "'model'"),
        (responses(model=" "), "'model'"),
        (responses(metadata=[]), "'metadata'"),
        (responses(instructions=False), "'instructions'"),
        (responses(input=None), "'input'"),
        (responses(input=[]), "'input'"),
        (responses(input=[5]), "input[0] must be an object"),
        (responses(input=[{"type": 5}]), "input[0].type"),
        (responses(input=[{"role": None, "content": "x"}]), "input[0].role"),
        (responses(input=[{"type": "message", "content": "x"}]), "input[0].role"),
        (responses(input=[{"role": "user", "content": None}]), "input[0].content"),
        (responses(input=[{"role": "user", "content": [{"text": "x"}]}]), "input[0].content[0]"),
        (responses(input=[{"type": "web_search_call", "id": "w"}]), "input[0].status"),
        (
            responses(input=[{"type": "web_search_call", "id": 5, "status": "completed"}]),
            "input[0].id",
        ),
    ],
)
def test_malformed_responses_bodies_are_explained(body, fragment):
    problem = check_responses_request(body)
    assert problem is not None and fragment in problem.message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (anthropic(model=None), "'model'"),
        (anthropic(metadata="x"), "'metadata'"),
        (anthropic(messages=[]), "'messages'"),
        (anthropic(messages={"role": "user"}), "'messages'"),
        (anthropic(messages=[[]]), "messages[0] must be an object"),
        (anthropic(messages=[{"role": 3, "content": "x"}]), "messages[0].role"),
        (anthropic(messages=[{"role": "user"}]), "messages[0].content"),
        (anthropic(messages=[{"role": "user", "content": [{}]}]), "messages[0].content[0]"),
        (anthropic(system=5), "'system'"),
        (anthropic(system=[{"text": "x"}]), "system[0]"),
        (anthropic(thinking=[]), "'thinking'"),
        (anthropic(thinking={"budget_tokens": 5}), "'thinking'"),
        (anthropic(thinking={"type": "enabled", "budget_tokens": True}), "budget_tokens"),
        (anthropic(tools={}), "'tools'"),
        (anthropic(tools=["f"]), "tools[0]"),
        (anthropic(tool_choice="any"), "'tool_choice'"),
        (anthropic(tool_choice={"type": None}), "tool_choice.type"),
        (anthropic(tool_choice={"type": "tool", "name": 1}), "tool_choice.name"),
        (anthropic(metadata={"user_id": 5}), "metadata.user_id"),
    ],
)
def test_malformed_messages_bodies_are_explained(body, fragment):
    problem = check_messages_request(body)
    assert problem is not None and fragment in problem.message


def chat(**fields):
    return {"model": AGENT, "messages": [USER], **fields}


@pytest.mark.parametrize(
    ("check", "body", "param"),
    [
        (check_chat_body, chat(model=5), "model"),
        # LiteLLM answers a comma-separated model with a list of replies (its batch completion),
        # which it cannot stream: a 500.
        (check_chat_body, chat(model="gemini-2.5-flash,", stream=True), "model"),
        (check_chat_body, chat(metadata=[]), "metadata"),
        (check_chat_body, chat(response_format="json"), "response_format"),
        (check_chat_body, chat(messages=[]), "messages"),
        (check_chat_body, chat(messages=[USER, 5]), "messages[1]"),
        (check_chat_body, chat(messages=[USER, {"content": "x"}]), "messages[1].role"),
        (
            check_chat_body,
            chat(messages=[{"role": "user", "tool_calls": 5}]),
            "messages[0].tool_calls",
        ),
        (
            check_chat_body,
            chat(messages=[{"role": "tool", "tool_call_id": 5}]),
            "messages[0].tool_call_id",
        ),
        (
            check_chat_body,
            chat(messages=[{"role": "user", "content": None}]),
            "messages[0].content",
        ),
        (
            check_chat_body,
            chat(messages=[{"role": "user", "content": 4}]),
            "messages[0].content",
        ),
        (
            check_chat_body,
            chat(messages=[USER, {"role": "user", "content": [5]}]),
            "messages[1].content[0]",
        ),
        (
            check_chat_body,
            chat(messages=[USER, USER, {"role": "user", "content": [{"type": "wizard"}]}]),
            "messages[2].content[0].type",
        ),
        (check_responses_request, responses(model=None), "model"),
        (check_responses_request, responses(instructions=1), "instructions"),
        (check_responses_request, responses(input=[]), "input"),
        (check_responses_request, responses(input=[USER, 5]), "input[1]"),
        (check_responses_request, responses(input=[{"type": 5}]), "input[0].type"),
        (
            check_responses_request,
            responses(input=[{"type": "message", "content": "x"}]),
            "input[0].role",
        ),
        (
            check_responses_request,
            responses(input=[{"role": "user", "content": 1}]),
            "input[0].content",
        ),
        (
            check_responses_request,
            responses(input=[{"role": "user", "content": [{}]}]),
            "input[0].content[0].type",
        ),
        (
            check_responses_request,
            responses(input=[{"type": "web_search_call", "id": "w", "action": {"type": "search"}}]),
            "input[0].status",
        ),
        (
            check_messages_request,
            anthropic(messages=[USER, {"role": 1, "content": "x"}]),
            "messages[1].role",
        ),
        (
            check_messages_request,
            anthropic(messages=[{"role": "user", "content": [{}]}]),
            "messages[0].content[0].type",
        ),
        (check_messages_request, anthropic(system=[{"text": "x"}]), "system[0].type"),
        (check_messages_request, anthropic(system=5), "system"),
        (check_messages_request, anthropic(tools=["f"]), "tools[0]"),
        (check_messages_request, anthropic(tool_choice={"type": None}), "tool_choice.type"),
        (
            check_messages_request,
            anthropic(tool_choice={"type": "tool", "name": 1}),
            "tool_choice.name",
        ),
        (
            check_messages_request,
            anthropic(thinking={"type": "enabled", "budget_tokens": True}),
            "thinking.budget_tokens",
        ),
        (check_messages_request, anthropic(metadata={"user_id": 5}), "metadata.user_id"),
    ],
)
def test_each_problem_names_the_exact_field_in_param(check, body, param):
    problem = check(body)
    assert problem is not None and problem.param == param, problem


def test_the_guard_checks_chat_bodies_with_the_providers_validator():
    assert CHECKS["/chat/completions"] is check_chat_body


def test_contract_user_part_types_are_litellms():
    """``USER_PART_TYPES`` copies LiteLLM 1.108.7's ``ValidUserMessageContentTypes`` (the
    provider imports no LiteLLM); if this fails, copy the new list."""
    assert list(USER_PART_TYPES) == ValidUserMessageContentTypes


@pytest.mark.parametrize(
    ("message", "param"),
    [
        ({"role": "user", "content": "a", "tool_calls": 5}, "messages[0].tool_calls"),
        ({"role": "user", "content": "a", "name": 5}, "messages[0].name"),
        ({"role": 5, "content": "a"}, "messages[0].role"),
    ],
)
def test_the_provider_applies_the_same_message_rules(message, param):
    with pytest.raises(RequestError) as caught:
        parse_messages([message])
    assert caught.value.param == param
    problem = check_chat_body({"model": AGENT, "messages": [message]})
    assert problem is not None and problem.param == param
