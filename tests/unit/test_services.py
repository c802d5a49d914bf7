"""Building an agent never touches the network: Jira's reachability is checked once, when the server
starts (or by ``agentllm doctor``), and agents built afterwards follow that result."""

from __future__ import annotations

import json
import logging

import agno.tools.jira
import pytest

from agentllm.agents import release_manager
from agentllm.config import settings
from agentllm.tools import services
from tests.support.fake_jira import issue, running_fake_jira
from tests.support.hung_listener import hung_listener

SETTINGS = ("AGENTLLM_REPOS", "GITHUB_TOKEN", "JIRA_SERVER_URL", "JIRA_USERNAME", "JIRA_TOKEN")
# A probe timeout short enough for a unit test; the check's behaviour does not depend on it.
SHORT_PROBE = 0.3


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's folder
    monkeypatch.setattr(services, "JIRA_PROBE_SECONDS", SHORT_PROBE)
    return monkeypatch


def jira_tools(agent) -> list[agno.tools.jira.JiraTools]:
    return [t for t in agent.tools if isinstance(t, agno.tools.jira.JiraTools)]


def test_building_the_agent_with_a_hung_jira_makes_no_connection(env):
    with hung_listener() as jira:
        env.setenv("JIRA_SERVER_URL", jira.url)
        agent = release_manager.build()
        assert jira.connections() == 0
    [tools] = jira_tools(agent)  # not checked in this process: included, as configured
    assert set(tools.functions) == {"get_issue", "search_issues"}
    assert "Jira (" not in "\n".join(agent.instructions)


def test_the_start_up_check_marks_a_hung_jira_unreachable_and_agents_go_without_it(env, caplog):
    with hung_listener() as jira:
        env.setenv("JIRA_SERVER_URL", jira.url)
        env.setenv("JIRA_TOKEN", "jira-secret")
        with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
            found = services.check_reachability(settings())
        assert jira.connections() == 1
        agent = release_manager.build()
        assert jira.connections() == 1  # the build asked nothing
    assert found == {"Jira": "the server did not answer (ReadTimeout)"}
    assert jira_tools(agent) == []
    assert (
        "Jira (JIRA_SERVER_URL is set, but the server did not answer (ReadTimeout))"
        in "\n".join(agent.instructions)
    )
    assert "Jira at JIRA_SERVER_URL did not answer (ReadTimeout)" in caplog.text
    assert "jira-secret" not in caplog.text


def test_a_jira_that_answered_at_start_up_is_attached_and_connects_only_when_used(env):
    with running_fake_jira({"REL-7": issue("REL-7", "Release 1.3 blocker")}) as jira:
        env.setenv("JIRA_SERVER_URL", jira.url)
        assert services.check_reachability(settings()) == {"Jira": None}
        asked = len(jira.requests)
        agent = release_manager.build()
        assert len(jira.requests) == asked  # building asked the server nothing
        [tools] = jira_tools(agent)
        found = json.loads(tools.functions["get_issue"].entrypoint("REL-7"))
    assert found["summary"] == "Release 1.3 blocker"


def test_without_jira_settings_the_check_probes_nothing(env):
    assert services.check_reachability(settings()) == {}
