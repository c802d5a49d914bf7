"""``agentllm doctor``: is this machine ready to serve? Each check says what it found and, when it
fails, what to do; the exit status is 0 only when every check passed."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agentllm.cli import checks
from agentllm.cli.checks import Outcome
from agentllm.cli.secrets import reveal

if TYPE_CHECKING:
    from agentllm.config import Settings

Check = tuple[str, Callable[[], Outcome]]


def _master_key(config: Settings) -> Outcome:
    if config.master_key_source != "LITELLM_MASTER_KEY":
        return Outcome(
            True,
            "not set: the built-in default key is in use (set LITELLM_MASTER_KEY before anyone "
            "else can reach the proxy)",
        )
    return checks.key("LITELLM_MASTER_KEY", reveal(config.master_key))


def _key_checks(config: Settings) -> list[Check]:
    """One check per key the configuration may hold (values reach only the format check)."""
    values = {
        "GEMINI_API_KEY": reveal(config.gemini_api_key),
        "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "").strip() or None,
        "GITHUB_TOKEN": reveal(config.github_token),
        "JIRA_TOKEN": reveal(config.jira_token),
    }
    found: list[Check] = [("LITELLM_MASTER_KEY", partial(_master_key, config))]
    for name, value in values.items():
        found.append((name, partial(checks.key, name, value)))
    return found


def planned_checks(host: str | None, port: int | None, root: Path) -> list[Check]:
    """The checks in the order they are shown; only the versions if the settings do not load."""
    from agentllm.config import settings

    found: list[Check] = [("Python and packages", checks.versions)]
    try:
        config = settings()
    except ValueError as exc:
        failed = Outcome(False, str(exc), "correct that variable in .env or the environment")
        return [*found, ("configuration", lambda: failed)]
    where, number = host or config.host, port or config.port
    services: list[Check] = []
    if config.jira_server_url:  # what the server checks at start-up
        services.append(("Jira", lambda: checks.jira(config.jira_server_url)))
    found += [
        ("port", lambda: checks.port(where, number, reveal(config.master_key))),
        *_key_checks(config),
        *services,
        ("database", lambda: checks.database(config.db_url)),
        ("model", checks.model),
        ("Open WebUI", lambda: checks.open_webui(root)),
    ]
    return found


def doctor(
    host: Annotated[
        str | None, typer.Option(help="Address serve would use [default: $HOST]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port serve would use [default: $PORT]")] = None,
    root: Annotated[
        Path, typer.Option(help="Checkout to look in for Open WebUI's .ui-venv")
    ] = Path("."),
) -> None:
    """Check Python, the port, the keys, Jira, the database and the model; exit 1 if any fails."""
    console = Console(soft_wrap=True, highlight=False)
    failures = 0
    for name, check in planned_checks(host, port, root.resolve()):
        with console.status(f"checking {name}…"):
            outcome = check()
        mark = "[green]✓[/green]" if outcome.ok else "[bold red]✗[/bold red]"
        console.print(f"{mark} [bold]{escape(name)}[/bold]: {escape(outcome.detail)}")
        if not outcome.ok:
            failures += 1
            console.print(f"    [yellow]fix:[/yellow] {escape(outcome.fix)}")
    if failures:
        console.print(f"[bold red]{failures} check(s) failed[/bold red]")
        raise typer.Exit(1)
    console.print("[bold green]all checks passed[/bold green]")
