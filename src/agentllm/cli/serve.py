"""``agentllm serve``: the proxy, as ``make serve`` runs it (agentllm.server does the work)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentllm.server import RUNTIME_CONFIG


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: $HOST or 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port [default: $PORT or 8890]")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes on the one port (more than 1 needs PostgreSQL) "
            "[default: $WORKERS or 1]",
        ),
    ] = None,
    config: Annotated[Path, typer.Option(help="LiteLLM proxy config")] = Path("proxy_config.yaml"),
    runtime_config: Annotated[
        Path, typer.Option(help="Where the generated config (agents added) is written")
    ] = RUNTIME_CONFIG,
    log_level: Annotated[
        str | None,
        typer.Option(help="debug, info, warning… [default: $AGENTLLM_LOG_LEVEL or info]"),
    ] = None,
) -> None:
    """Serve the agents as OpenAI-compatible models (the LiteLLM proxy) until Ctrl-C."""
    from agentllm.server import serve as run

    status = run(config, host, port, workers, runtime_config, log_level)
    raise typer.Exit(status)
