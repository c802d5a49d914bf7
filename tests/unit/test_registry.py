"""The agent registry and the model list derived from it."""

from __future__ import annotations

import pytest
from agno.agent import Agent

from agentllm import agents
from agentllm.agents import AgentSpec, get_agent
from agentllm.models import apply_params, build_model
from agentllm.models.offline import OfflineModel
from agentllm.proxy.config import model_names, runtime_config


def test_release_manager_is_registered_with_a_description():
    spec = agents.get_spec("release-manager")
    assert "release" in spec.description.lower()


def test_get_agent_builds_an_agno_agent_with_the_parameters():
    agent = get_agent("release-manager", temperature=0.3, max_tokens=7, top_p=0.9, seed=1)
    assert isinstance(agent, Agent)
    assert agent.add_history_to_context and agent.num_history_runs == 10 and agent.markdown
    assert isinstance(agent.model, OfflineModel)
    assert (
        agent.model.temperature,
        agent.model.max_tokens,
        agent.model.top_p,
        agent.model.seed,
    ) == (0.3, 7, 0.9, 1)


def test_unknown_agent_is_a_key_error_naming_the_available_ones():
    with pytest.raises(KeyError, match="release-manager"):
        get_agent("nope")


def test_agent_names_are_validated():
    with pytest.raises(ValueError):
        AgentSpec(name="Bad Name", description="", factory=lambda **_: None)


def test_entry_point_agents_join_the_registry(monkeypatch):
    extra = AgentSpec(name="third-party", description="from a plugin", factory=lambda **_: None)

    class EntryPoint:
        name = "third-party"

        def load(self):
            return extra

    monkeypatch.setattr(
        agents,
        "entry_points",
        lambda group: [EntryPoint()] if group == agents.ENTRY_POINT_GROUP else [],
    )
    agents.registry.cache_clear()
    try:
        assert agents.get_spec("third-party") is extra
        assert "release-manager" in agents.agent_names()
    finally:
        agents.registry.cache_clear()


def test_runtime_config_lists_every_agent_before_the_wildcard():
    base = {
        "model_list": [
            {"model_name": "gemini-2.5-pro", "litellm_params": {"model": "gemini/gemini-2.5-pro"}},
            {"model_name": "agno/stale", "litellm_params": {"model": "agno/stale"}},
            {"model_name": "agno/*", "litellm_params": {"model": "agno/*"}},
        ]
    }
    config = runtime_config(base)
    assert model_names(config) == [f"agno/{n}" for n in agents.agent_names()] + ["gemini-2.5-pro"]
    assert config["model_list"][-1]["model_name"] == "agno/*"
    assert base["model_list"][1]["model_name"] == "agno/stale"  # input untouched


@pytest.mark.parametrize(
    ("spec", "attributes"),
    [
        ("openai:gpt-4o-mini", {"temperature": 0.1, "max_output_tokens": 5, "top_p": 0.5}),
        (
            "google:gemini-2.5-flash",
            {
                "temperature": 0.1,
                "max_output_tokens": 5,
                "top_p": 0.5,
                "stop_sequences": ["x"],
                "seed": 2,
            },
        ),
    ],
)
def test_sampling_parameters_reach_real_model_classes(monkeypatch, spec, attributes):
    monkeypatch.setenv("AGENTLLM_MODEL", spec)
    model = build_model(
        "google:gemini-2.5-flash", temperature=0.1, max_tokens=5, top_p=0.5, stop="x", seed=2
    )
    for name, value in attributes.items():
        assert getattr(model, name) == value


def test_ollama_parameters_go_into_options():
    from agno.models.ollama import Ollama

    model = apply_params(Ollama(id="llama3.2"), {"temperature": 0.2, "max_tokens": 9})
    assert model.options == {"temperature": 0.2, "num_predict": 9}


def test_agno_telemetry_is_off_unless_asked_for():
    # Agno would otherwise queue an event for its cloud on every run.
    agent = get_agent("release-manager")
    agent.run("hello")  # Agno applies AGNO_TELEMETRY when a run starts
    assert agent.telemetry is False


def test_sqlite_store_uses_wal_with_normal_sync(tmp_path):
    from sqlalchemy import text

    from agentllm.db import make_db

    db = make_db(f"sqlite:///{tmp_path}/store.db")
    with db.db_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
