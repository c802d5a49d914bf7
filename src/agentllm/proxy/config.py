"""The proxy configuration the server runs: ``proxy_config.yaml`` plus one entry per agent."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from agentllm import agents
from agentllm.provider.types import MODEL_PREFIX, model_name


def agent_model_entries() -> list[dict[str, Any]]:
    """One ``model_list`` entry per registered agent, derived from the registry."""
    return [
        {
            "model_name": model_name(spec.name),
            # An agent run stores its turn, so it is never retried behind the client's back.
            # OpenAI parameters an agent has no use for (reasoning_effort, which Anthropic-style
            # `thinking` becomes) are dropped, not refused: the agent decides how it reasons.
            "litellm_params": {
                "model": model_name(spec.name),
                "num_retries": 0,
                "drop_params": True,
            },
            "model_info": {"description": spec.description, "mode": "chat"},
        }
        for spec in agents.registry().values()
    ]


def runtime_config(base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with an explicit entry for every agent (before any wildcard, which still routes)."""
    config = copy.deepcopy(base)
    model_list = [
        entry
        for entry in config.get("model_list") or []
        if not (
            isinstance(entry, dict)
            and str(entry.get("model_name", "")).startswith(MODEL_PREFIX)
            and entry.get("model_name") != model_name("*")
        )
    ]
    config["model_list"] = agent_model_entries() + model_list
    return config


def model_names(config: dict[str, Any]) -> list[str]:
    """The model names a client can list (wildcards excluded)."""
    return [
        str(entry["model_name"])
        for entry in config.get("model_list") or []
        if "*" not in str(entry.get("model_name", ""))
    ]


def write_runtime_config(source: Path, target: Path) -> dict[str, Any]:
    """Read ``source``, add the agents, write the result to ``target`` and return it."""
    base = yaml.safe_load(source.read_text()) or {}
    config = runtime_config(base)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "# Generated at start-up from proxy_config.yaml and the agent registry: do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return config
