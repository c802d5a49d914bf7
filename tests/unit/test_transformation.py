"""The pure translation layer, by table."""

from __future__ import annotations

from base64 import b64encode
from hashlib import sha256

import pytest
from agno.metrics import RunMetrics

from agentllm.provider.events import finish_reason, usage_from_metrics
from agentllm.provider.reply import final_chunk, text_chunk
from agentllm.provider.request import (
    parse_messages,
    parse_params,
    parse_request,
)
from agentllm.provider.types import (
    ImageInput,
    ImageLimits,
    ModelParams,
    RequestError,
    Turn,
    agent_name,
)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("agno/release-manager", "release-manager"),
        ("release-manager", "release-manager"),
        (" agno/x ", "x"),
    ],
)
def test_agent_name_strips_provider_prefix(model, expected):
    assert agent_name(model) == expected


@pytest.mark.parametrize("model", [None, "", "   ", "agno/", 42])
def test_agent_name_rejects_missing_agent(model):
    with pytest.raises(RequestError):
        agent_name(model)


@pytest.mark.parametrize(
    ("messages", "system", "history", "message"),
    [
        ([{"role": "user", "content": "hi"}], (), (), "hi"),
        (
            [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
            ("be brief",),
            (),
            "hi",
        ),
        (
            [
                {"role": "developer", "content": "d"},
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
            ],
            ("d",),
            (Turn("user", "a"), Turn("assistant", "b")),
            "c",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
                }
            ],
            (),
            (),
            "one\ntwo",
        ),
        (
            [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "user", "content": "b"},
            ],
            (),
            (Turn("user", "a"),),
            "b",
        ),
        ([{"role": "user", "content": "héllo 🎉"}], (), (), "héllo 🎉"),
    ],
)
def test_parse_messages_splits_system_history_and_newest_message(
    messages, system, history, message
):
    assert parse_messages(messages) == (system, history, Turn("user", message))


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        (None, "non-empty list"),
        ([], "non-empty list"),
        ("hi", "non-empty list"),
        ([42], "must be an object"),
        ([{"content": "x"}], "role is required"),
        ([{"role": "wizard", "content": "x"}], "role 'wizard'"),
        ([{"role": "tool", "content": "x"}], "role 'tool'"),
        ([{"role": "user", "content": None}], "must not be null"),
        ([{"role": "user", "content": 42}], "not int"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "messages[0].content[0].image_url.url must be a data: URL",
        ),
        (
            [
                {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
                {"role": "user", "content": "hi"},
            ],
            "text only",
        ),
        (
            [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}],
            "'input_audio'",
        ),
        ([{"role": "user", "content": [{"type": "text", "text": 5}]}], "must be a string"),
        ([{"role": "user", "content": ["x"]}], "must be an object"),
        ([{"role": "system", "content": "only system"}], "last non-system message"),
        (
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
            "last non-system",
        ),
    ],
)
def test_parse_messages_rejects_malformed_messages_with_a_reason(messages, fragment):
    with pytest.raises(RequestError) as caught:
        parse_messages(messages)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        (None, "messages"),
        ([42], "messages[0]"),
        ([{"content": "x"}], "messages[0].role"),
        (
            [{"role": "user", "content": "a"}, {"role": "wizard", "content": "x"}],
            "messages[1].role",
        ),
        ([{"role": "user", "content": None}], "messages[0].content"),
        ([{"role": "user", "content": 42}], "messages[0].content"),
        ([{"role": "user", "content": ["x"]}], "messages[0].content[0]"),
        (
            [{"role": "user", "content": [{"type": "text", "text": 5}]}],
            "messages[0].content[0].text",
        ),
        (
            [{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "audio"}]}],
            "messages[1].content[0].type",
        ),
        (
            [
                {"role": "system", "content": [{"type": "image_url"}]},
                {"role": "user", "content": "a"},
            ],
            "messages[0].content[0].type",
        ),
        ([{"role": "system", "content": [{"text": 1}]}], "messages[0].content[0].text"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}],
            "messages[0].content[0].image_url",
        ),
        (
            [
                {"role": "user", "content": "a"},
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "https://x/y", "detail": 3}}
                    ],
                },
            ],
            "messages[1].content[0].image_url.detail",
        ),
        ([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "messages[1]"),
    ],
)
def test_parse_messages_names_the_exact_field_in_param(messages, param):
    with pytest.raises(RequestError) as caught:
        parse_messages(messages)
    assert caught.value.param == param


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ModelParams()),
        ({"temperature": 0.2, "max_tokens": 5}, ModelParams(temperature=0.2, max_tokens=5)),
        ({"max_completion_tokens": 7}, ModelParams(max_tokens=7)),
        ({"top_p": 1, "seed": 3, "stop": "END"}, ModelParams(top_p=1.0, seed=3, stop=("END",))),
        ({"stop": ["a", "b"], "n": 1, "stream": True}, ModelParams(stop=("a", "b"))),
    ],
)
def test_parse_params_passes_sampling_parameters(params, expected):
    assert parse_params(params) == expected


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": 3}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"max_tokens": "5"}, "max_tokens"),
        ({"max_tokens": 2.5}, "max_tokens"),
        ({"top_p": 2}, "top_p"),
        ({"n": 2}, "n"),
        ({"stream": "yes"}, "stream"),
        ({"stop": [1]}, "stop"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_parse_params_rejects_bad_values_naming_the_parameter(params, param):
    with pytest.raises(RequestError) as caught:
        parse_params(params)
    assert caught.value.param == param


def test_parse_request_builds_a_chat_request():
    request = parse_request(
        "agno/release-manager",
        [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ],
        {"temperature": 0.5},
    )
    assert request.agent == "release-manager"
    assert request.message == "c"
    assert request.history == (Turn("user", "a"), Turn("assistant", "b"))
    assert request.params.temperature == 0.5
    assert request.images == ()
    assert not request.background_task


# --- images ----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 92


def image_part(data: bytes = PNG) -> dict:
    return {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{b64encode(data).decode()}"},
    }


def test_images_belong_to_their_turn_and_text_parts_stay_text():
    _, history, newest = parse_messages(
        [
            {"role": "user", "content": [{"type": "text", "text": "look"}, image_part()]},
            {"role": "assistant", "content": "a PNG"},
            {
                "role": "user",
                "content": [
                    image_part(),
                    {"type": "text", "text": "and"},
                    {"type": "text", "text": "now"},
                ],
            },
        ]
    )
    image = ImageInput(media_type="image/png", sha256=sha256(PNG).hexdigest(), size=100)
    assert history == (Turn("user", "look", (image,)), Turn("assistant", "a PNG"))
    assert newest == Turn("user", "and\nnow", (image,))
    assert newest.images[0].data == PNG


def test_an_image_only_message_has_empty_text():
    request = parse_request("agno/x", [{"role": "user", "content": [image_part()]}], {})
    assert request.message == ""
    assert [i.size for i in request.images] == [100]


def test_an_http_image_is_kept_as_its_url():
    url = "https://example.com/cat.png"
    request = parse_request(
        "agno/x",
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}],
        {},
    )
    assert request.images == (ImageInput(url=url),)


def test_the_image_count_is_limited_per_request():
    limits = ImageLimits(max_bytes=1000, max_count=2)
    messages = [
        {"role": "user", "content": [image_part(), image_part()]},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": [image_part()]},
    ]
    with pytest.raises(RequestError) as caught:
        parse_request("agno/x", messages, {}, limits)
    assert "3 images" in caught.value.message and "AGENTLLM_MAX_IMAGES" in caught.value.message
    assert parse_request("agno/x", messages[2:], {}, limits).images


def test_the_image_size_is_limited_naming_the_message():
    limits = ImageLimits(max_bytes=99, max_count=2)
    with pytest.raises(RequestError) as caught:
        parse_request("agno/x", [{"role": "user", "content": [image_part()]}], {}, limits)
    assert caught.value.message.startswith("messages[0].content[0]")
    assert "AGENTLLM_MAX_IMAGE_BYTES" in caught.value.message


def test_an_image_in_an_assistant_message_is_refused():
    with pytest.raises(RequestError, match="text only"):
        parse_messages(
            [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [image_part()]},
                {"role": "user", "content": "b"},
            ]
        )


def test_usage_comes_from_run_metrics():
    usage = usage_from_metrics(RunMetrics(input_tokens=11, output_tokens=4, total_tokens=15))
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 4, 15)
    empty = usage_from_metrics(None)
    assert (empty.prompt_tokens, empty.completion_tokens, empty.total_tokens) == (0, 0, 0)


@pytest.mark.parametrize(
    ("provider_data", "expected"),
    [
        (None, "stop"),
        ({}, "stop"),
        ({"finish_reason": "length"}, "length"),
        ({"finish_reason": "MAX_TOKENS"}, "length"),
        ({"finish_reason": "stop"}, "stop"),
        ({"finish_reason": "STOP"}, "stop"),
        ({"finish_reason": "SAFETY"}, "content_filter"),
        ({"finish_reason": "PROHIBITED_CONTENT"}, "content_filter"),
        ({"finish_reason": "content_filter"}, "content_filter"),
        ({"finish_reason": "tool_calls"}, "stop"),  # the agent ran its tools itself
    ],
)
def test_finish_reason_maps_length_and_content_filter(provider_data, expected):
    assert finish_reason(provider_data) == expected


def test_chunks_carry_text_then_finish_reason_and_usage():
    assert text_chunk("hi") == {
        "text": "hi",
        "tool_use": None,
        "is_finished": False,
        "finish_reason": "",
        "usage": None,
        "index": 0,
    }
    last = final_chunk(
        "length", usage_from_metrics(RunMetrics(input_tokens=2, output_tokens=1, total_tokens=3))
    )
    assert last["is_finished"] is True
    assert last["finish_reason"] == "length"
    assert last["usage"] == {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}
