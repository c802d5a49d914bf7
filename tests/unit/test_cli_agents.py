"""``agentllm agents`` and the command line around it (help, ``python -m agentllm``)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentllm import agents as registry
from agentllm.cli import app


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def test_agents_json_lists_every_registered_agent_with_kind_and_model():
    result = run("agents", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert set(rows) == set(registry.agent_names())
    assert rows["release-manager"]["kind"] == "agent"
    assert rows["release-team"]["kind"] == "team"
    assert rows["release-manager"]["model_name"] == "agno/release-manager"
    assert (
        rows["release-manager"]["description"] == registry.get_spec("release-manager").description
    )
    assert {row["model"] for row in rows.values()} == {"echo"}  # tests run on AGENTLLM_MODEL=echo


def test_agents_shows_the_model_agno_model_setting_selects(monkeypatch):
    monkeypatch.setenv("AGENTLLM_MODEL", "google:gemini-2.5-pro")
    rows = json.loads(run("agents", "--json").output)
    assert {row["model"] for row in rows} == {"gemini-2.5-pro"}


def test_agents_table_names_each_agent_and_its_model():
    result = run("agents")
    assert result.exit_code == 0, result.output
    for name in registry.agent_names():
        assert name in result.output
    assert "echo" in result.output and "team" in result.output


def test_help_lists_the_four_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("serve", "agents", "chat", "doctor"):
        assert command in result.output


def test_serve_refuses_a_missing_config_file_with_status_2(tmp_path):
    result = run(
        "serve",
        "--config",
        str(tmp_path / "missing.yaml"),
        "--runtime-config",
        str(tmp_path / "runtime.yaml"),
    )
    assert result.exit_code == 2


def test_agents_with_a_model_that_cannot_be_built_says_why_without_a_traceback():
    result = run("agents", env={"AGENTLLM_MODEL": "no-such-provider:x"})
    assert result.exit_code == 1
    assert "AGENTLLM_MODEL" in result.output and "no-such-provider" in result.output
    assert "Traceback" not in result.output


def test_agents_with_a_malformed_setting_names_it():
    result = run("agents", env={"AGENTLLM_REQUEST_TIMEOUT": "soon"})
    assert result.exit_code == 1
    assert "AGENTLLM_REQUEST_TIMEOUT" in result.output


def test_each_kind_of_runner_is_named_and_a_workflow_runs_on_its_first_agents_model():
    from agno.agent import Agent
    from agno.team import Team
    from agno.workflow import Step, Workflow

    from agentllm.cli.inventory import kind_of, model_of
    from agentllm.models.offline import OfflineModel

    assert kind_of(Agent(model=OfflineModel())) == "agent"
    assert kind_of(Team(members=[], model=OfflineModel())) == "team"
    assert kind_of(Workflow(name="steps")) == "workflow"
    assert model_of(Workflow(name="steps")) is None
    first = OfflineModel(id="first")
    steps = [Step(name="a", agent=Agent(model=first)), Step(name="b", agent=Agent())]
    assert model_of(Workflow(name="steps", steps=steps)) is first
    assert isinstance(model_of(Agent(model=OfflineModel())), OfflineModel)


@pytest.mark.parametrize("option", ["--port", "--workers"])
def test_serve_refuses_zero_for_a_count_or_a_port(option):
    result = run("serve", option, "0")
    assert result.exit_code == 2
    assert option in result.output and "greater than or equal to 1" in result.output
