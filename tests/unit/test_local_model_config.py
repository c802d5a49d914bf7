"""The local model's configuration, without loading it: which file ``AGENTLLM_MODEL`` names, what a
missing runtime or file says, and how history is put into the chat template's roles.

Loading and running the model (llama.cpp) is tested in
``tests/integration/test_local_model_in_process.py``.
"""

from __future__ import annotations

import pytest
from agno.models.message import Message

from agentllm.models import ModelConfigError, build_model, gguf
from agentllm.models.local import LocalModel, LocalModelUnavailable, model_file, template_messages


def test_build_model_honours_sampling_parameters(monkeypatch):
    monkeypatch.setenv("AGENTLLM_MODEL", "local")
    model = build_model("google:gemini-2.5-flash", temperature=0.3, max_tokens=7, seed=3)
    assert isinstance(model, LocalModel)
    assert (model.temperature, model.max_tokens, model.seed) == (0.3, 7, 3)


def test_a_missing_file_is_a_configuration_error(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTLLM_MODEL", f"llamacpp:{tmp_path / 'missing.gguf'}")
    with pytest.raises(ModelConfigError, match="no GGUF file"):
        build_model("google:gemini-2.5-flash")


def test_a_missing_runtime_says_how_to_install_it(monkeypatch):
    # Stands in for a checkout where `uv sync --extra local` never ran.
    monkeypatch.setattr(gguf, "runtime_installed", lambda: False)
    with pytest.raises(
        LocalModelUnavailable, match=r"make serve MODEL=local.*uv sync --extra local"
    ):
        model_file("local")
    monkeypatch.setenv("AGENTLLM_MODEL", "local")
    with pytest.raises(ModelConfigError, match="uv sync --extra local"):
        build_model("google:gemini-2.5-flash")


def test_history_from_other_models_is_put_in_template_roles():
    messages = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Check the release."),
        Message(role="assistant", content=None, tool_calls=[{"id": "1"}]),
        Message(role="tool", content="v1.2.0", tool_name="latest_release"),
        Message(role="assistant", content="It is v1.2.0."),
    ]
    assert template_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Check the release."},
        {"role": "user", "content": "Tool latest_release: v1.2.0"},
        {"role": "assistant", "content": "It is v1.2.0."},
    ]


def test_start_up_refuses_a_missing_runtime_saying_how_to_install_it(monkeypatch):
    from agentllm.server import local_model_problem

    assert local_model_problem("echo") is None
    assert local_model_problem("local") is None
    monkeypatch.setattr(gguf, "runtime_installed", lambda: False)
    problem = local_model_problem("local")
    assert problem and "make serve MODEL=local" in problem and "uv sync --extra local" in problem


def test_with_no_key_and_no_choice_agents_run_on_the_installed_local_model(monkeypatch):
    monkeypatch.delenv("AGENTLLM_MODEL", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    model = build_model("google:gemini-2.5-flash", max_tokens=4)
    assert isinstance(model, LocalModel) and model.max_tokens == 4
