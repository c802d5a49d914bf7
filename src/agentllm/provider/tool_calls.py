"""Tools an agent runs, shown in its reply while they happen; and taken out of it again when a
client sends the reply back as history. Pure functions over plain data.

Two forms (``AGENTLLM_TOOL_DISPLAY``; ``auto`` picks ``details`` for Open WebUI, ``status`` for
other clients, ``off`` shows nothing):

- ``details``: Open WebUI's own markup. A finished call is the ``<details type="tool_calls"
  done="true" ...>`` block Open WebUI renders as a tool call with its arguments and result. A
  started call is a ``<details type="tool_progress" done="false">`` block ("Calling <name>", its
  arguments inside), which Open WebUI shows with a spinner while the message streams and as a
  plain line after. A reply only grows, so a started ``tool_calls`` block could never be turned
  into a finished one, and Open WebUI would show that one running forever.
- ``status``: one plain line per event (``⚙ name {args} …``, ``⚙ name → result``).

These are never OpenAI ``tool_calls`` deltas: a client takes those as requests to run the tool
itself. Why the forms look as they do: docs/tool-calls.md.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from agentllm.provider.types import Display, ToolCall

# Results are trimmed: a reply (and the history clients send back) should not carry megabytes.
RESULT_CHARS = 1000
STATUS_RESULT_CHARS = 200
GEAR = "⚙"

_OPENING = re.compile(r'<details type="(?:tool_calls|tool_progress)"[^>\n]*>\n')
_CLOSING = "</details>"
_STATUS_LINE = re.compile(rf"^{GEAR} \S+ (?:\{{.*\}} …|→ .*|failed: .*)$", re.MULTILINE)


def display_for(setting: str, open_webui: bool) -> Display:
    """The form for one request: ``auto`` is ``details`` for Open WebUI, else ``status``."""
    if setting == "auto":
        return "details" if open_webui else "status"
    return setting  # type: ignore[return-value]


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _attribute(value: Any) -> str:
    """A value as Open WebUI writes it into an attribute: HTML-escaped JSON."""
    return html.escape(json.dumps(value, ensure_ascii=False), quote=True)


def _details(call: ToolCall) -> str:
    name = html.escape(call.name, quote=True)
    if not call.done:
        arguments = html.escape(json.dumps(call.arguments, ensure_ascii=False).replace("`", "'"))
        return (
            f'<details type="tool_progress" done="false" id="{html.escape(call.id, quote=True)}" '
            f'name="{name}">\n<summary>Calling {name}</summary>\n`{arguments}`\n</details>\n\n'
        )
    status = ' status="failed"' if call.failed else ""
    return (
        f'<details type="tool_calls" done="true"{status} id="{html.escape(call.id, quote=True)}" '
        f'name="{name}" arguments="{_attribute(call.arguments)}" '
        f'result="{_attribute(_trim(call.result or "", RESULT_CHARS))}">\n'
        "<summary>Tool Executed</summary>\n</details>\n\n"
    )


def _status(call: ToolCall) -> str:
    if not call.done:
        return f"{GEAR} {call.name} {json.dumps(call.arguments, ensure_ascii=False)} …\n\n"
    result = " ".join((call.result or "").split())
    verb = "failed:" if call.failed else "→"
    return f"{GEAR} {call.name} {verb} {_trim(result, STATUS_RESULT_CHARS)}\n\n"


class ToolView:
    """Renders one reply's text and tool calls in order; remembers where the reply's last line
    ends, so that each block starts on a line of its own (Open WebUI's parser needs that)."""

    def __init__(self, display: Display) -> None:
        self.display = display
        self._at_line_start = True

    def show(self, piece: str | ToolCall) -> str:
        """The text to send for ``piece``: reply text as is, a tool call in this view's form."""
        if isinstance(piece, ToolCall):
            if self.display == "off":
                # Nothing shown, but the text before and after the call stays apart.
                text = "" if self._at_line_start else "\n\n"
                self._at_line_start = True
                return text
            text = _details(piece) if self.display == "details" else _status(piece)
            if not self._at_line_start:
                text = "\n\n" + text
        else:
            text = piece
        if text:
            self._at_line_start = text.endswith("\n")
        return text


def _strip_blocks(text: str) -> str:
    """``text`` with each closed tool block replaced by a line break, in one pass (a lazy regex
    would rescan to the end of the text for every unclosed block)."""
    kept: list[str] = []
    position = 0
    while (opening := _OPENING.search(text, position)) is not None:
        end = text.find(_CLOSING, opening.end())
        if end < 0:
            break  # no block closes after this one: the rest is left as it is
        kept += [text[position : opening.start()], "\n"]
        position = end + len(_CLOSING)
        if text.startswith("\n", position):
            position += 1
    kept.append(text[position:])
    return "".join(kept)


def strip_tool_calls(text: str) -> str:
    """``text`` without the tool calls this module showed in it (either form)."""
    if "<details" in text:
        text = _strip_blocks(text)
    if GEAR in text:
        text = _STATUS_LINE.sub("", text)
    return text
