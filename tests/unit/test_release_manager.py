"""The release manager gets the git release tools for AGENTLLM_REPOS, Agno's GitHub and Jira tools
when they are configured and installed, and instructions that say what it lacks."""

from __future__ import annotations

import ast
import json
import logging
import socket
import sys
from pathlib import Path

import agno.tools
import agno.tools.jira
import pytest

from agentllm.agents import release_manager
from agentllm.config import settings
from agentllm.tools import jira_reader, services
from agentllm.tools.release_tools import ReleaseTools
from tests.support.fake_jira import issue, running_fake_jira

AGNO_TOOLS = Path(agno.tools.__file__).parent
SETTINGS = ("AGENTLLM_REPOS", "GITHUB_TOKEN", "JIRA_SERVER_URL", "JIRA_USERNAME", "JIRA_TOKEN")


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's folder
    return monkeypatch


def tool_names(agent) -> list[str]:
    names = []
    for tool in agent.tools:
        names += list(tool.functions) if isinstance(tool, agno.tools.Toolkit) else [tool.__name__]
    return names


def instructions(agent) -> str:
    return "\n".join(agent.instructions)


def test_without_repositories_it_has_no_git_tools_and_says_so(env):
    agent = release_manager.build()
    assert tool_names(agent) == ["get_chat_history"]
    text = instructions(agent)
    assert "no git repositories are configured (set AGENTLLM_REPOS" in text
    assert "GitHub (set GITHUB_TOKEN" in text and "Jira (set JIRA_SERVER_URL" in text


def test_configured_repositories_bring_the_release_tools(env, tmp_path):
    env.setenv("AGENTLLM_REPOS", f"demo={tmp_path},api={tmp_path}")
    agent = release_manager.build()
    [toolkit] = [t for t in agent.tools if isinstance(t, ReleaseTools)]
    assert [r.name for r in toolkit.repos] == ["demo", "api"]
    assert tool_names(agent) == [
        "get_chat_history",
        "release_status",
        "commits_since",
        "next_version",
        "changelog",
        "release_checklist",
    ]
    assert "by name: demo, api" in toolkit.instructions
    assert "AGENTLLM_REPOS" not in instructions(agent)


def test_a_github_token_attaches_agnos_github_tools_reading_only(env, caplog):
    env.setenv("GITHUB_TOKEN", "ghp_not_a_real_token")
    with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
        agent = release_manager.build()
    [github] = [t for t in agent.tools if type(t).__name__ == "GithubTools"]
    assert set(github.functions) == set(services.GITHUB_READ_TOOLS)
    assert "GitHub (" not in instructions(agent)  # nothing said to be missing
    assert "ghp_not_a_real_token" not in caplog.text + instructions(agent)


def test_jira_settings_attach_agnos_jira_tools_which_read_a_real_issue(env, caplog):
    with running_fake_jira({"REL-7": issue("REL-7", "Release 1.3 blocker")}) as jira:
        env.setenv("JIRA_SERVER_URL", jira.url)
        env.setenv("JIRA_USERNAME", "ada")
        env.setenv("JIRA_TOKEN", "jira-secret")
        with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
            agent = release_manager.build()
        [tools] = [t for t in agent.tools if isinstance(t, agno.tools.jira.JiraTools)]
        assert set(tools.functions) == {"get_issue", "search_issues"}
        found = json.loads(tools.functions["get_issue"].entrypoint("REL-7"))
    assert found["summary"] == "Release 1.3 blocker" and found["project"] == "REL"
    assert ("GET", "/rest/api/2/issue/REL-7") in [(m, p) for m, p, _ in jira.requests]
    assert "jira-secret" not in caplog.text + instructions(agent)


def test_a_jira_server_that_cannot_be_reached_leaves_the_tools_out_and_says_so(env, caplog):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens on it once closed
    env.setenv("JIRA_SERVER_URL", f"http://127.0.0.1:{port}")
    env.setenv("JIRA_TOKEN", "jira-secret")
    with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
        services.check_reachability(settings())  # as the server does at start-up
        agent = release_manager.build()
    assert "JiraTools" not in [type(t).__name__ for t in agent.tools]
    assert "Jira (JIRA_SERVER_URL is set, but the server did not answer" in instructions(agent)
    assert "jira-secret" not in caplog.text


def test_a_malformed_jira_url_leaves_the_tools_out_and_the_agent_runs(env, caplog):
    env.setenv("JIRA_SERVER_URL", "https://jira.example.org:80a")  # a typo in the port
    with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
        services.check_reachability(settings())  # as the server does at start-up
        agent = release_manager.build()
    assert "JiraTools" not in [type(t).__name__ for t in agent.tools]
    assert "Jira (JIRA_SERVER_URL is set, but the server did not answer" in instructions(agent)


@pytest.mark.parametrize(
    ("variable", "module", "package"),
    [("GITHUB_TOKEN", "github", "pygithub"), ("JIRA_SERVER_URL", "jira", "jira")],
)
def test_a_configured_service_whose_package_is_missing_is_named_in_log_and_instructions(
    env, caplog, variable, module, package
):
    # The package made unimportable for this test, as on a server installed without it.
    env.setitem(sys.modules, module, None)
    env.delitem(sys.modules, f"agno.tools.{module}", raising=False)
    env.setenv(variable, "https://jira.example.org" if module == "jira" else "ghp_not_real")
    with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
        agent = release_manager.build()
    assert f"is set, but the {package} package is not installed" in instructions(agent)
    assert f"pip install {package}" in caplog.text
    assert "ghp_not_real" not in caplog.text + instructions(agent)


def methods(source: Path, cls: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(source.read_text())
    [node] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    return {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}


def test_only_reading_github_tools_are_attached_and_agno_still_has_them():
    available = methods(AGNO_TOOLS / "github.py", "GithubTools")
    assert set(services.GITHUB_READ_TOOLS) <= set(available)
    writes = ("create", "update", "delete", "edit", "close", "reopen", "assign", "label", "set_")
    assert not [name for name in services.GITHUB_READ_TOOLS if name.startswith(writes)]
    assert "comment_on_issue" not in services.GITHUB_READ_TOOLS


def test_only_reading_jira_tools_are_attached_and_agno_still_reads_its_client_as_self_jira():
    # JiraReader gives Agno's own methods a client made on first use, through ``self.jira``.
    available = methods(AGNO_TOOLS / "jira.py", "JiraTools")
    assert set(jira_reader.READ_TOOLS) == {"get_issue", "search_issues"}
    for name in jira_reader.READ_TOOLS:
        assert "self.jira." in ast.unparse(available[name]), f"JiraTools.{name} changed"
