"""``agentllm chat``: a terminal conversation with an agent, streamed, across turns.

Lines come from standard input (a terminal or a pipe); ``/exit`` or end of input ends the chat.
The reply streams as it comes: the agent's reasoning dimmed, the tools it runs as status lines
(the provider writes them into the reply, ``AGENTLLM_TOOL_DISPLAY``), its text as it is.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from contextlib import aclosing
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from agentllm.cli.streams import ChatError, Piece, ReplyStream
from agentllm.provider.tool_calls import GEAR
from agentllm.provider.types import MODEL_PREFIX

EXIT_COMMANDS = ("/exit", "/quit")
DEFAULT_AGENT = "release-manager"


class ReplyPrinter:
    """Prints a streamed reply: reasoning dimmed, tool status lines whole and coloured."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.at_line_start = True
        self.tool_line: str | None = None  # a tool status line still arriving
        self.reasoning = False

    def _out(self, text: str, style: str = "") -> None:
        self.console.print(Text(text, style=style), end="", soft_wrap=True)
        if text:
            self.at_line_start = text.endswith("\n")

    def show(self, piece: Piece) -> None:
        if piece.kind == "reasoning":
            if not self.reasoning and not self.at_line_start:
                self._out("\n")
            self.reasoning = True
            self._out(piece.text, "dim italic")
            return
        if self.reasoning:
            self.reasoning = False
            self._out("\n\n" if not self.at_line_start else "\n")
        for part in re.split(r"(?<=\n)", piece.text):
            if self.tool_line is not None:
                self.tool_line += part
            elif self.at_line_start and part.startswith(GEAR):
                self.tool_line = part
            else:
                self._out(part)
                continue
            if self.tool_line.endswith("\n"):
                line, self.tool_line = self.tool_line, None
                self._out(line, "cyan")

    def end(self) -> None:
        """After the last piece: what is left of a tool line, and a line break."""
        if self.tool_line:
            self._out(self.tool_line, "cyan")
            self.tool_line = None
        if not self.at_line_start:
            self._out("\n")


async def _turn(source: ReplyStream, messages: list[dict[str, str]], console: Console) -> str:
    """Stream one reply to the screen; its text (reasoning and all) for the history."""
    printer, text = ReplyPrinter(console), []
    try:
        # Closed here, in this task, however the turn ends: the run behind it stops with it.
        async with aclosing(source.reply(messages)) as pieces:
            async for piece in pieces:
                printer.show(piece)
                if piece.kind == "text":
                    text.append(piece.text)
    finally:
        printer.end()
    return "".join(text)


def _read(console: Console, prompt: str) -> str | None:
    """The next line typed or piped in; ``None`` at the end of input."""
    try:
        line = console.input(prompt)
    except (EOFError, KeyboardInterrupt):  # Ctrl-D, or Ctrl-C at the prompt: the chat ends
        console.print()
        return None
    if not sys.stdin.isatty():  # piped: show the line, so the transcript reads as a chat
        console.print(line, markup=False)
    return line


def converse(source: ReplyStream, console: Console, errors: Console, session_id: str) -> int:
    """Read lines and answer them until ``/exit``, end of input or Ctrl-C at the prompt; the
    exit status is 1 if a turn failed (an interrupted one did not fail)."""
    where, session = escape(source.where), escape(session_id)
    console.print(
        f"[bold]{where}[/bold]  session [bold]{session}[/bold] "
        f"(continue it later with --session {session}); /exit or Ctrl-D ends"
    )
    messages: list[dict[str, str]] = []
    failed = False
    with asyncio.Runner() as runner:
        while (line := _read(console, "[bold green]you>[/bold green] ")) is not None:
            line = line.strip()
            if line in EXIT_COMMANDS:
                break
            if not line:
                continue
            messages.append({"role": "user", "content": line})
            try:
                reply = runner.run(_turn(source, messages, console))
            except ChatError as exc:
                errors.print(f"error: {exc}", highlight=False, markup=False)
                failed = True
            except KeyboardInterrupt:  # Ctrl-C during a reply stops that reply only
                errors.print("(interrupted)")
            else:
                messages.append({"role": "assistant", "content": reply})
                continue
            messages.pop()  # the turn did not happen: the next one is sent without it
    return 1 if failed else 0


def chat(
    agent: Annotated[
        str, typer.Argument(help="Agent to talk to (see `agentllm agents`)")
    ] = DEFAULT_AGENT,
    url: Annotated[
        str | None,
        typer.Option(help="A running proxy, e.g. http://127.0.0.1:8890 [default: in-process]"),
    ] = None,
    session: Annotated[
        str | None, typer.Option(help="Conversation id: continue an earlier chat [default: new]")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="The proxy's key with --url [default: $LITELLM_MASTER_KEY]")
    ] = None,
) -> None:
    """Chat with an agent in the terminal: in this process, or through a proxy with --url."""
    from agentllm.cli.secrets import reveal
    from agentllm.cli.streams import Remote
    from agentllm.config import settings

    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    session_id = session or uuid.uuid4().hex[:12]
    try:
        config = settings()
    except ValueError as exc:
        errors.print(f"configuration error: {exc}", markup=False)
        raise typer.Exit(2) from None
    source: ReplyStream
    if url:
        source = Remote(agent, session_id, url, key or reveal(config.master_key) or "")
    else:
        source = _in_process(agent, session_id, config.db_url, errors)
    raise typer.Exit(converse(source, console, errors, session_id))


def _in_process(agent: str, session_id: str, db_url: str, errors: Console) -> ReplyStream:
    """The agents in this process, once the agent is known and the database is ours."""
    from agentllm import agents
    from agentllm.cli.streams import InProcess, local_setup
    from agentllm.db import DatabaseConfigError, claim_sqlite, is_sqlite

    name = agent.removeprefix(MODEL_PREFIX)
    if name not in agents.registry():
        errors.print(
            f"unknown agent {name!r}; available: {', '.join(agents.agent_names())}", markup=False
        )
        raise typer.Exit(2)
    try:
        if is_sqlite(db_url):
            claim_sqlite(db_url)  # as serve does: SQLite serves one process
    except DatabaseConfigError as exc:
        errors.print(
            f"{exc}\nTo chat with the agents of that running proxy: agentllm chat --url "
            "http://127.0.0.1:8890 (its address)",
            markup=False,
        )
        raise typer.Exit(2) from None
    local_setup()
    return InProcess(name, session_id)
