"""How ``agentllm chat`` shows a streamed reply, and the small translations around it (the
conversations themselves: tests/integration/test_cli.py)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from agentllm.cli.chat import ReplyPrinter
from agentllm.cli.streams import Piece, first_paragraph, model_name

CYAN, DIM_ITALIC = "\x1b[36m", "\x1b[2;3m"


def shown(pieces: list[Piece], colour: bool = False) -> str:
    out = io.StringIO()
    printer = ReplyPrinter(Console(file=out, force_terminal=colour, width=40, soft_wrap=True))
    for piece in pieces:
        printer.show(piece)
    printer.end()
    return out.getvalue()


def text(*parts: str) -> list[Piece]:
    return [Piece("text", p) for p in parts]


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (text("echo:", " hi"), "echo: hi\n"),
        (text("ends with a line\n"), "ends with a line\n"),
        (text(), ""),
        (
            [Piece("reasoning", "think"), Piece("reasoning", " more"), *text("answer")],
            "think more\n\nanswer\n",
        ),
        (
            [*text("before"), Piece("reasoning", "then"), *text("after")],
            "before\nthen\n\nafter\n",
        ),
        (text("use ⚙ in a sentence"), "use ⚙ in a sentence\n"),
        (text("cut ⚙ tool {", "} …"), "cut ⚙ tool {} …\n"),
    ],
)
def test_the_reply_reads_as_sent_with_reasoning_apart_from_the_answer(pieces, expected):
    assert shown(pieces) == expected


def test_a_tool_status_line_is_coloured_whole_even_when_it_arrives_in_pieces():
    output = shown(text("before\n\n", "⚙ get_chat_history {", "} …\n\n", "after"), colour=True)
    assert f"{CYAN}⚙ get_chat_history {{}} …" in output
    assert "before" in output and "after" in output


def test_a_tool_line_cut_off_by_the_end_of_the_reply_is_still_shown():
    assert shown(text("⚙ tool {}")) == "⚙ tool {}\n"


def test_reasoning_is_dimmed():
    assert f"{DIM_ITALIC}pondering" in shown([Piece("reasoning", "pondering")], colour=True)


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("release-team", "agno/release-team"),
        ("agno/release-team", "agno/release-team"),
        ("openai/gpt-4o-mini", "openai/gpt-4o-mini"),
    ],
)
def test_agent_names_become_model_names(name, model):
    assert model_name(name) == model


def test_a_litellm_error_message_loses_its_traceback_and_class_name():
    message = (
        "litellm.APIConnectionError: cannot use model 'x': not supported.\n"
        "Traceback (most recent call last):\n  File ...\n\nThis looks like a bug ..."
    )
    assert first_paragraph(message) == "cannot use model 'x': not supported."


def test_chat_names_the_conversation_with_the_header_the_provider_reads():
    from agentllm.cli import streams
    from agentllm.provider.types import SESSION_ID_HEADER

    assert streams.SESSION_ID_HEADER == SESSION_ID_HEADER
