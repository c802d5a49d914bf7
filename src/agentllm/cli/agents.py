"""``agentllm agents``: the registered agents, teams and workflows, and the model each runs on."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentllm.provider.types import model_name

if TYPE_CHECKING:
    from agentllm.cli.inventory import AgentInfo


def _rows(found: list[AgentInfo]) -> list[dict[str, str]]:
    """What is shown of each agent (the ``--json`` objects)."""
    return [
        {
            "name": info.name,
            "model_name": model_name(info.name),
            "kind": info.kind,
            "description": info.description,
            "model": info.model,
            "provider": info.provider,
        }
        for info in found
    ]


def agents(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts)")] = False,
) -> None:
    """List the agents the proxy serves (as agno/<name>), with their models."""
    from agentllm.cli.inventory import built_agents
    from agentllm.models import ModelConfigError

    try:
        with built_agents() as found:
            rows = _rows(found)
    except (ValueError, ModelConfigError) as exc:  # a malformed setting; a model not to be had
        typer.echo(f"agentllm: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="agentllm agents (model name: agno/<name>)")
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("kind", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("description")
    for row in rows:
        table.add_row(
            row["name"], row["kind"], f"{row['model']} ({row['provider']})", row["description"]
        )
    Console().print(table)
