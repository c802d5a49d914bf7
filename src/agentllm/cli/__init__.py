"""The ``agentllm`` command: ``serve``, ``agents``, ``chat`` and ``doctor`` (docs/cli.md).

One module per command; each imports what it runs on (LiteLLM, Agno) only when it runs, so
``agentllm --help`` answers at once.
"""

from __future__ import annotations

import typer

from agentllm.cli import agents, chat, doctor, serve

app = typer.Typer(
    name="agentllm",
    help="Agno agents served as OpenAI-compatible models through the LiteLLM proxy.",
    no_args_is_help=True,
    add_completion=False,
    # Rich tracebacks print local variables, and those may hold keys.
    pretty_exceptions_enable=False,
)


@app.callback()
def _environment() -> None:
    """Load ``.env`` for the libraries that read their own variables (the openai SDK's
    ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``), as ``agentllm serve`` does; the settings object
    reads ``.env`` itself."""
    from agentllm.config import load_env

    load_env()


app.command("serve")(serve.serve)
app.command("agents")(agents.agents)
app.command("chat")(chat.chat)
app.command("doctor")(doctor.doctor)


def main(argv: list[str] | None = None) -> None:
    """The console script (``agentllm``) and ``python -m agentllm``."""
    app(args=argv, prog_name="agentllm")
