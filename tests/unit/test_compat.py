"""Contract tests of what agentllm relies on in its dependencies (agentllm.compat, docs/compat.md).

Each test drives the dependency's own code where it can, and fails with ``compat: <item>`` when
an upgrade changes the behaviour the item relies on.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agentllm.compat import openwebui
from agentllm.compat.agno import MODEL_OVERRIDES

# --- LiteLLM -----------------------------------------------------------------------------------


class Probe:
    """A tiny ``CustomLLM`` (made on first use: LiteLLM is imported inside the tests) that
    records the ``litellm_params`` it is called with."""

    @staticmethod
    def make() -> Any:
        import litellm
        from litellm.types.utils import Delta, ModelResponseStream, StreamingChoices

        class _Probe(litellm.CustomLLM):
            def __init__(self) -> None:
                super().__init__()
                self.params: dict[str, Any] = {}

            async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
                self.params = kwargs["litellm_params"]
                return litellm.ModelResponse(
                    choices=[{"message": {"role": "assistant", "content": "probed"}}]
                )

            async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                self.params = kwargs["litellm_params"]
                yield ModelResponseStream(
                    choices=[StreamingChoices(delta=Delta(reasoning_content="thinking"))]
                )
                yield ModelResponseStream(
                    choices=[StreamingChoices(delta=Delta(content="done"), finish_reason="stop")]
                )

        return _Probe()


@pytest.fixture
def probe() -> Any:
    from agentllm.compat.litellm import register_custom_provider

    handler = Probe.make()
    register_custom_provider("compat-probe", handler)
    return handler


def _request(headers: dict[str, str], body: dict[str, Any]) -> Any:
    """A starlette request as the proxy receives it, its body not yet read."""
    from starlette.requests import Request

    raw = json.dumps(body).encode()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            raise AssertionError("the body was read twice")
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 8890),
        "scheme": "http",
        "client": ("127.0.0.1", 5000),
    }
    return Request(scope, receive)


async def _through_the_proxy(probe: Any, headers: dict[str, str], body: dict[str, Any]) -> Any:
    """``body`` sent with ``headers`` through the proxy's request setup and ``acompletion`` (what
    the proxy calls when no router is configured), as a key of user ``key-owner`` whose end
    user the auth resolved as ``end-user``; the params the provider got."""
    import litellm
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.litellm_pre_call_utils import add_litellm_data_to_request
    from litellm.proxy.proxy_server import ProxyConfig

    data = dict(body)
    data = await add_litellm_data_to_request(
        data=data,
        request=_request(headers, body),
        user_api_key_dict=UserAPIKeyAuth(
            api_key="sk-probe", user_id="key-owner", end_user_id="end-user"
        ),
        proxy_config=ProxyConfig(),
        general_settings={},
    )
    await litellm.acompletion(**data)
    return probe.params


async def test_request_headers_reach_a_custom_provider_lower_cased(probe):
    from agentllm.compat.litellm import request_headers

    params = await _through_the_proxy(
        probe,
        {"X-Session-Id": "s-1", "X-OpenWebUI-Chat-Id": "c-1", "Authorization": "Bearer sk-probe"},
        {"model": "compat-probe/x", "messages": [{"role": "user", "content": "hi"}]},
    )
    headers = request_headers(params)
    assert headers.get("x-session-id") == "s-1", (
        f"compat: LiteLLM proxy_server_request/metadata headers moved: {sorted(headers)}"
    )
    assert headers.get("x-openwebui-chat-id") == "c-1", "compat: LiteLLM request headers"


async def test_request_body_reaches_a_custom_provider(probe):
    from agentllm.compat.litellm import request_body

    body = {
        "model": "compat-probe/x",
        "messages": [{"role": "user", "content": "hi"}],
        "metadata": {"session_id": "s-9"},
    }
    params = await _through_the_proxy(probe, {"Authorization": "Bearer sk-probe"}, body)
    got = request_body(params)
    assert got.get("messages") == body["messages"], (
        "compat: LiteLLM proxy_server_request['body'] no longer holds the request body"
    )
    assert dict(got.get("metadata") or {}).get("session_id") == "s-9", (
        "compat: LiteLLM proxy_server_request['body']['metadata'] lost the client's fields"
    )


async def test_the_keys_user_and_the_end_user_reach_a_custom_provider(probe):
    from agentllm.compat.litellm import end_user_id, key_user_id

    params = await _through_the_proxy(
        probe,
        {"Authorization": "Bearer sk-probe"},
        {"model": "compat-probe/x", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert end_user_id(params) == "end-user", (
        "compat: LiteLLM metadata['user_api_key_end_user_id'] moved"
    )
    assert key_user_id(params) == "key-owner", "compat: LiteLLM metadata['user_api_key_user_id']"


async def test_sdk_metadata_headers_reach_a_custom_provider(probe):
    """In-process (``agentllm chat``): headers given as ``metadata={"headers": ...}``."""
    import litellm

    from agentllm.compat.litellm import request_body, request_headers

    await litellm.acompletion(
        model="compat-probe/x",
        messages=[{"role": "user", "content": "hi"}],
        metadata={"headers": {"X-Session-Id": "s-2"}},
    )
    assert request_headers(probe.params) == {"x-session-id": "s-2"}, (
        "compat: LiteLLM SDK metadata['headers'] no longer reaches litellm_params"
    )
    assert request_body(probe.params) == {}


async def test_a_registered_custom_provider_answers_in_process(probe):
    import litellm

    reply = await litellm.acompletion(
        model="compat-probe/x", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == "probed", (
        "compat: litellm.utils.custom_llm_setup no longer registers a custom provider"
    )


async def test_model_response_stream_chunks_pass_through_with_reasoning(probe):
    import litellm

    stream = await litellm.acompletion(
        model="compat-probe/x", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    reasoning, content, finishes = [], [], []
    async for chunk in stream:
        delta = chunk.choices[0].delta
        reasoning.append(getattr(delta, "reasoning_content", None) or "")
        content.append(delta.content or "")
        finishes.append(chunk.choices[0].finish_reason)
    assert "".join(reasoning) == "thinking", (
        "compat: LiteLLM no longer passes a custom provider's ModelResponseStream through "
        "(streaming_handler _dispatch_provider_chunk)"
    )
    assert "".join(content) == "done"
    assert [f for f in finishes if f] == ["stop"], "compat: LiteLLM custom stream finish_reason"


async def test_a_parsed_body_in_the_scope_is_not_parsed_again():
    from litellm.proxy.common_utils.http_parsing_utils import _read_request_body

    from agentllm.compat.litellm import set_parsed_body

    body = {"model": "agno/x", "messages": [{"role": "user", "content": "hi"}]}
    request = _request({"content-type": "application/json"}, {"model": "other"})
    set_parsed_body(request.scope, body)
    got = await _read_request_body(request)
    assert got == body, "compat: LiteLLM _read_request_body ignores scope['parsed_body']"
    # The receive channel was never read: a read here would be the first, and succeed.
    assert (await request.body()) == b'{"model": "other"}', (
        "compat: LiteLLM _read_request_body read the body although scope['parsed_body'] was set"
    )


# --- Agno --------------------------------------------------------------------------------------


def test_callable_instructions_see_the_agent_and_the_runs_metadata():
    from agno.agent import Agent

    from agentllm.compat.agno import instructions_of
    from agentllm.models.offline import OfflineModel

    seen: dict[str, Any] = {}

    def own(agent: Agent, run_context: Any) -> list[str]:
        seen["agent"] = agent
        return ["be brief"]

    agent = Agent(model=OfflineModel())

    def instructions(agent: Agent, run_context: Any = None) -> list[str]:
        seen["metadata"] = getattr(run_context, "metadata", None)
        merged = instructions_of(own, agent, run_context)
        return [merged] if isinstance(merged, str) else list(merged or [])

    agent.instructions = instructions
    agent.run("hello", metadata={"request": "r-1"})
    assert seen.get("agent") is agent, "compat: agno.utils.agent.execute_instructions"
    assert seen.get("metadata") == {"request": "r-1"}, (
        "compat: Agno no longer passes run_context (with the run's metadata) to instructions"
    )
    assert instructions_of("plain", agent) == "plain"


@pytest.mark.parametrize(("where", "method", "parameters"), MODEL_OVERRIDES)
def test_the_model_methods_we_override_exist_with_their_parameters(where, method, parameters):
    module, name = where.split(":")
    cls = getattr(importlib.import_module(module), name)
    found = getattr(cls, method, None)
    assert found is not None, f"compat: Agno {where}.{method} is gone"
    got = tuple(inspect.signature(found).parameters)
    assert got == parameters, f"compat: Agno {where}.{method} now takes {got}"


def test_a_model_is_the_six_methods_we_implement():
    """The offline and local models implement Agno's abstract ``Model`` methods, nothing more."""
    from agno.models.base import Model

    expected = {m for where, m, _ in MODEL_OVERRIDES if where == "agno.models.base:Model"}
    assert set(Model.__abstractmethods__) == expected, (
        f"compat: Agno Model's abstract methods are now {sorted(Model.__abstractmethods__)}"
    )


@pytest.mark.parametrize("where", ["agno.models.google:Gemini", "agno.models.openai:OpenAIChat"])
def test_agnos_vendor_models_parse_every_response_with_the_methods_we_wrap(where):
    module, name = where.split(":")
    cls = getattr(importlib.import_module(module), name)
    for call, parser in [
        ("invoke", "_parse_provider_response"),
        ("ainvoke", "_parse_provider_response"),
        ("invoke_stream", "_parse_provider_response_delta"),
        ("ainvoke_stream", "_parse_provider_response_delta"),
    ]:
        assert f"self.{parser}(" in inspect.getsource(getattr(cls, call)), (
            f"compat: Agno {where}.{call} no longer calls {parser}"
        )


def test_the_event_classes_we_match_carry_agnos_enum_values():
    from agno.run import agent, team, workflow

    from agentllm.provider.events import AGENT_EVENTS, TEAM_EVENTS

    for events, module in ((AGENT_EVENTS, agent), (TEAM_EVENTS, team)):
        for cls, name in [
            (module.RunContentEvent, events.content),
            (module.ToolCallStartedEvent, events.tool_started),
            (module.ToolCallCompletedEvent, events.tool_completed),
            (module.RunErrorEvent, events.error),
            (module.RunCancelledEvent, events.cancelled),
        ]:
            assert cls().event == name, f"compat: Agno {module.__name__}.{cls.__name__}.event"
    for cls, member in [
        (workflow.StepStartedEvent, workflow.WorkflowRunEvent.step_started),
        (workflow.StepCompletedEvent, workflow.WorkflowRunEvent.step_completed),
        (workflow.StepErrorEvent, workflow.WorkflowRunEvent.step_error),
        (workflow.WorkflowErrorEvent, workflow.WorkflowRunEvent.workflow_error),
        (workflow.WorkflowCancelledEvent, workflow.WorkflowRunEvent.workflow_cancelled),
    ]:
        assert cls().event == member, f"compat: Agno agno.run.workflow.{cls.__name__}.event"


# --- uvicorn -----------------------------------------------------------------------------------


class _Transport:
    """What uvicorn's protocol writes to, and whether it closed it."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8890)}.get(name)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_protocol(self, protocol: Any) -> None: ...


async def test_malformed_http_is_answered_by_our_400():
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from agentllm.proxy.http import JSONErrorsH11Protocol

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("no app runs for malformed HTTP")

    config = Config(app=app, log_level="critical")
    config.load()
    protocol = JSONErrorsH11Protocol(config=config, server_state=ServerState(), app_state={})
    transport = _Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")
    head, _, body = transport.written.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), (
        "compat: uvicorn H11Protocol.send_400_response is no longer how malformed HTTP is answered"
    )
    assert b"content-type: application/json" in head.lower(), (
        "compat: uvicorn no longer calls H11Protocol.send_400_response"
    )
    assert json.loads(body)["error"]["message"].startswith("the request is not valid HTTP/1.1")
    assert transport.closed


# --- Open WebUI --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message", "expected"),
    [
        ({}, "### Task:\nGenerate a title.\n<chat_history>\nUSER: hi\n</chat_history>", True),
        ({}, "  ### Task: x <chat_history>", True),
        ({}, "### Task: but no history marker", False),
        ({}, "hello ### Task: <chat_history>", False),
        ({"x-openwebui-task": "title_generation"}, "anything", True),
        ({"x-openwebui-task": "emoji_generation"}, "Your task is to reflect...", True),
        ({"x-openwebui-task": ""}, "### Task:\n<chat_history>", False),  # a chat says so
    ],
)
def test_background_tasks_are_told_by_the_header_else_the_templates(headers, message, expected):
    assert openwebui.background_task(headers, message) is expected


def test_the_task_pattern_is_configurable():
    pattern = openwebui.task_pattern(r"\A## Aufgabe:")
    assert openwebui.background_task({}, "## Aufgabe: Titel", pattern)
    assert not openwebui.background_task({}, "### Task:\n<chat_history>", pattern)


def _open_webui_source() -> Path:
    """Open WebUI's installed source (``make ui`` installs it into .ui-venv/)."""
    root = Path(__file__).resolve().parents[2] / ".ui-venv"
    found = sorted(root.glob("lib/python3*/site-packages/open_webui"))
    if not found:
        pytest.skip("Open WebUI is not installed in .ui-venv (make ui)")
    return found[0]


def test_open_webui_fills_the_task_placeholder_of_connection_headers():
    """Read as text, not imported: importing Open WebUI starts its configuration."""
    source = _open_webui_source()
    headers = (source / "utils" / "headers.py").read_text()
    assert re.search(r"['\"]\{\{TASK\}\}['\"]:\s*metadata\.get\(['\"]task['\"]", headers), (
        "compat: Open WebUI no longer fills {{TASK}} in connection headers from metadata.task"
    )
    tasks = (source / "routers" / "tasks.py").read_text()
    assert re.search(r"['\"]task['\"]:\s*str\(TASKS\.TITLE_GENERATION\)", tasks), (
        "compat: Open WebUI no longer marks its task requests with metadata.task"
    )


def test_open_webui_default_task_templates_match_the_default_pattern():
    config = ast.parse((_open_webui_source() / "config.py").read_text())
    templates = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in config.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id
        in {
            f"DEFAULT_{task}_GENERATION_PROMPT_TEMPLATE"
            for task in ("TITLE", "TAGS", "FOLLOW_UP", "QUERY", "AUTOCOMPLETE", "IMAGE_PROMPT")
        }
    }
    assert len(templates) == 6, f"compat: Open WebUI task templates renamed: {sorted(templates)}"
    for name, text in templates.items():
        assert openwebui.background_task({}, text), f"compat: Open WebUI {name} changed"


def test_the_task_pattern_is_read_from_the_environment(monkeypatch):
    from agentllm.config import ConfigError, settings

    assert settings().background_task_pattern.pattern == openwebui.DEFAULT_TASK_PATTERN
    settings.cache_clear()
    monkeypatch.setenv("AGENTLLM_BACKGROUND_TASK_PATTERN", r"\A## Aufgabe:")
    assert openwebui.background_task({}, "## Aufgabe: x", settings().background_task_pattern)
    settings.cache_clear()
    monkeypatch.setenv("AGENTLLM_BACKGROUND_TASK_PATTERN", "(unclosed")
    with pytest.raises(ConfigError, match="AGENTLLM_BACKGROUND_TASK_PATTERN"):
        settings()
