"""An Agno Workflow served like an agent: agno/release-notes through the real proxy.

Both steps run on the offline model. The analyst (first step) sees the conversation, so its
``context:`` line lists every user message it received; its output is streamed as reasoning.
The editor (last step) gets the analyst's output, as Agno passes each step the one before, and
its echo of it is the answer.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import openai
import pytest

from tests.integration.conftest import Proxy, start_proxy, stop_proxy
from tests.support.gitrepo import feature_since_release
from tests.support.store import stored_runs

pytestmark = pytest.mark.integration

WORKFLOW = "agno/release-notes"
NEXT_VERSION = '/tool next_version {"repo": "demo"}'


@pytest.fixture(scope="module")
def repo_proxy(tmp_path_factory) -> Iterator[Proxy]:
    """A proxy whose release tools may read ``demo``: v1.2.0, then a fix and a feature."""
    tmp = tmp_path_factory.mktemp("workflow")
    repo = feature_since_release(tmp / "demo")
    running = start_proxy(tmp, extra_env={"AGENTLLM_REPOS": f"demo={repo.path}"})
    yield running
    stop_proxy(running)


@dataclass
class Reply:
    content: str
    reasoning: str
    usage: object = None

    @property
    def analysis(self) -> str:
        """The analyst's output: the reasoning after its step's heading line."""
        heading, _, text = self.reasoning.partition("\n")
        assert heading == "**analyse**"
        return text.strip()

    def context(self) -> list[str]:
        """The user messages the analyst received."""
        return self.analysis.split("\ncontext: ", 1)[1].split(" | ")


def ask(proxy: Proxy, messages, headers=None, stream: bool = True) -> Reply:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    client = proxy.client()
    if not stream:
        whole = client.chat.completions.create(
            model=WORKFLOW, messages=messages, extra_headers=headers or {}
        )
        message = whole.choices[0].message
        reasoning = getattr(message, "reasoning_content", None) or ""
        return Reply(message.content or "", reasoning, whole.usage)
    chunks = list(
        client.chat.completions.create(
            model=WORKFLOW,
            messages=messages,
            extra_headers=headers or {},
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    return Reply(
        "".join(d.content or "" for d in deltas),
        "".join(getattr(d, "reasoning_content", None) or "" for d in deltas),
        next((c.usage for c in chunks if c.usage), None),
    )


def test_the_workflow_is_listed_with_its_description(repo_proxy):
    models = {m.id for m in repo_proxy.client().models.list().data}
    assert WORKFLOW in models


def test_the_first_step_is_reasoning_and_the_last_step_is_the_answer(repo_proxy):
    reply = ask(repo_proxy, "notes for 1.3")
    assert reply.analysis == "echo: notes for 1.3\ncontext: notes for 1.3"
    assert reply.content == f"echo: {reply.analysis}\ncontext: {reply.analysis}"


def test_usage_counts_every_step(repo_proxy):
    chat = uuid.uuid4().hex
    reply = ask(repo_proxy, "count me", {"X-OpenWebUI-Chat-Id": chat, "X-OpenWebUI-User-Id": "wf"})
    [run] = stored_runs(repo_proxy.db_path, "wf", chat, agent="release-notes")
    steps = [step.metrics for step in run.metrics.steps.values()]
    assert len(steps) == 2
    assert reply.usage.prompt_tokens == sum(m.input_tokens for m in steps)
    assert reply.usage.completion_tokens == sum(m.output_tokens for m in steps)


def test_the_analysts_tool_call_is_shown_and_the_answer_holds_its_result(repo_proxy):
    reply = ask(repo_proxy, NEXT_VERSION)
    lines = reply.content.splitlines()
    assert '⚙ next_version {"repo": "demo"} …' in lines
    [shown] = [line for line in lines if line.startswith("⚙ next_version → ")]
    assert shown.startswith('⚙ next_version → {"next_version": "1.3.0"')
    answer = reply.content[reply.content.index("echo: ") :]
    assert lines.index(shown) < lines.index(answer.splitlines()[0])
    assert 'tool next_version: {"next_version": "1.3.0", "tag": "v1.3.0"' in answer


def test_the_non_streamed_reply_carries_the_analysis_as_reasoning(repo_proxy):
    reply = ask(repo_proxy, "whole please", stream=False)
    assert reply.analysis == "echo: whole please\ncontext: whole please"
    assert reply.content == f"echo: {reply.analysis}\ncontext: {reply.analysis}"


def test_two_turns_sending_only_the_newest_message(repo_proxy):
    chat = {"X-Session-Id": uuid.uuid4().hex}
    ask(repo_proxy, "first plan", chat)
    assert ask(repo_proxy, "second step", chat).context() == ["first plan", "second step"]


def test_three_turns_with_the_whole_history_as_open_webui_sends_them(repo_proxy):
    chat = uuid.uuid4().hex
    headers = {"X-OpenWebUI-Chat-Id": chat, "X-OpenWebUI-User-Id": "wf-user"}
    history = [{"role": "user", "content": f"alpha\n{NEXT_VERSION}"}]
    first = ask(repo_proxy, history, headers)
    assert '<details type="tool_calls"' in first.content  # sent back as Open WebUI does
    history += [{"role": "assistant", "content": first.content}, {"role": "user", "content": "b"}]
    second = ask(repo_proxy, history, headers)
    assert second.context() == [f"alpha\n{NEXT_VERSION}", "b"]
    history += [{"role": "assistant", "content": second.content}, {"role": "user", "content": "c"}]
    assert ask(repo_proxy, history, headers).context() == [f"alpha\n{NEXT_VERSION}", "b", "c"]
    runs = stored_runs(repo_proxy.db_path, "wf-user", chat, agent="release-notes")
    assert [getattr(r.status, "value", r.status) for r in runs] == [
        "COMPLETED"
    ] * 3  # each once, none superseded


def test_an_edited_turn_supersedes_the_stored_one(repo_proxy):
    chat = uuid.uuid4().hex
    headers = {"X-OpenWebUI-Chat-Id": chat, "X-OpenWebUI-User-Id": "wf-edit"}
    first = ask(repo_proxy, "draft", headers)
    history = [
        {"role": "user", "content": "draft"},
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": "next"},
    ]
    ask(repo_proxy, history, headers)
    history[0]["content"] = "draft, edited"  # the client edited the first turn
    history[1]["content"] = "another answer"
    assert ask(repo_proxy, history, headers).context() == ["draft, edited", "next"]
    runs = stored_runs(repo_proxy.db_path, "wf-edit", chat, agent="release-notes")
    assert [getattr(r.status, "value", r.status) for r in runs] == [
        "REGENERATED",
        "REGENERATED",
        "COMPLETED",
    ]
    history += [{"role": "assistant", "content": "fine"}, {"role": "user", "content": "then"}]
    assert ask(repo_proxy, history, headers).context() == ["draft, edited", "next", "then"]


def test_history_the_store_never_saw_reaches_the_first_step_once(repo_proxy):
    messages = [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "an answer from elsewhere"},
        {"role": "user", "content": "two"},
    ]
    reply = ask(repo_proxy, messages, {"X-Session-Id": uuid.uuid4().hex}, stream=False)
    assert reply.context() == ["one", "two"]


def test_an_image_is_refused_with_a_clear_400(repo_proxy):
    picture = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(100)).decode()
    content = [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{picture}"}},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        ask(repo_proxy, [{"role": "user", "content": content}])
    assert "agno/release-notes" in str(caught.value) and "image" in str(caught.value)
