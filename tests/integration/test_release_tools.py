"""The release manager reads a real git repository through the real proxy: the offline model
calls a release tool on a ``/tool`` line, the stream shows the call, and the answer carries the
version the tool computed. Official ``openai`` client, ``AGENTLLM_REPOS`` set for the proxy."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator

import pytest

from tests.integration.conftest import Proxy, start_proxy, stop_proxy
from tests.support.gitrepo import feature_since_release

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
NEXT_VERSION = '/tool next_version {"repo": "demo"}'
BLOCK = re.compile(r"^<details(\s+[^>]*)?>\n", re.MULTILINE)
ATTRIBUTE = re.compile(r'(\w+)="(.*?)"')


@pytest.fixture(scope="module")
def repo_proxy(tmp_path_factory) -> Iterator[Proxy]:
    """A proxy whose release manager may read one repository, ``demo``: v1.2.0, then a feature."""
    tmp = tmp_path_factory.mktemp("release-tools")
    repo = feature_since_release(tmp / "demo")
    running = start_proxy(tmp, extra_env={"AGENTLLM_REPOS": f"demo={repo.path}"})
    yield running
    stop_proxy(running)


def stream(proxy: Proxy, content: str, headers: dict[str, str] | None = None) -> str:
    chunks = proxy.client().chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": content}],
        stream=True,
        extra_headers=headers or {},
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def tool_line(reply: str, name: str) -> str:
    """The offline model's ``tool <name>: <result>`` line of the answer."""
    [line] = [line for line in reply.splitlines() if line.startswith(f"tool {name}: ")]
    return line.removeprefix(f"tool {name}: ")


def test_next_version_is_shown_as_a_tool_call_and_the_answer_holds_the_version(repo_proxy):
    reply = stream(repo_proxy, NEXT_VERSION)
    lines = reply.splitlines()
    assert '⚙ next_version {"repo": "demo"} …' in lines
    [shown] = [line for line in lines if line.startswith("⚙ next_version → ")]
    assert shown.startswith('⚙ next_version → {"next_version": "1.3.0", "tag": "v1.3.0"')
    assert lines.index(shown) < lines.index(f"echo: {NEXT_VERSION}")
    assert tool_line(reply, "next_version").startswith(
        '{"next_version": "1.3.0", "tag": "v1.3.0", "bump": "minor"'
    )


def test_open_webui_gets_the_tool_call_block_with_the_whole_result(repo_proxy):
    headers = {"X-OpenWebUI-User-Id": "u-release", "X-OpenWebUI-Chat-Id": uuid.uuid4().hex}
    reply = stream(repo_proxy, NEXT_VERSION, headers)
    [call] = [
        dict(ATTRIBUTE.findall(m[0])) for m in BLOCK.finditer(reply) if 'type="tool_calls"' in m[0]
    ]
    assert call["name"] == "next_version" and "status" not in call
    result = json.loads(json.loads(html.unescape(call["result"])))
    assert result["next_version"] == "1.3.0" and result["since"] == "v1.2.0"
    assert "1 feat commit since v1.2.0: MINOR bump 1.2.0 → 1.3.0" in result["rule"]


def test_a_refused_ref_and_an_unknown_repository_are_answered_not_failed(repo_proxy):
    reply = stream(
        repo_proxy,
        '/tool commits_since {"repo": "demo", "ref": "--upload-pack=touch /tmp/x"}\n'
        '/tool release_status {"repo": "/etc"}',
    )
    assert json.loads(tool_line(reply, "commits_since")) == {
        "error": "refused ref '--upload-pack=touch /tmp/x': it looks like a command-line option"
    }
    assert json.loads(tool_line(reply, "release_status")) == {
        "error": "unknown repository '/etc'; available: demo"
    }


def test_the_changelog_tool_reads_the_same_repository(repo_proxy):
    reply = stream(repo_proxy, '/tool changelog {"repo": "demo"}')
    # The plain line shows the result on one line; the answer keeps its Markdown lines.
    assert (
        "⚙ changelog → Unreleased commits: v1.2.0..HEAD (2); next version 1.3.0 "
        "## [Unreleased] ### Added - CSV export (export) ### Fixed - A crash"
    ) in reply
    answer = reply.split("\ntool changelog: ", 1)[1]
    assert answer.startswith("Unreleased commits: v1.2.0..HEAD (2); next version 1.3.0\n")
    assert "## [Unreleased]\n### Added\n- CSV export (export)\n### Fixed\n- A crash" in answer
