"""How the tools an agent runs are shown in its reply, and taken out again of the history."""

from __future__ import annotations

import html
import json
import re

import pytest

from agentllm.provider.tool_calls import (
    RESULT_CHARS,
    ToolCall,
    ToolView,
    display_for,
    strip_tool_calls,
)

STARTED = ToolCall(id="call_1", name="next_version", arguments={"repo": "demo"})
DONE = ToolCall(
    id="call_1",
    name="next_version",
    arguments={"repo": "demo"},
    result='1.3.0 ("feat" since v1.2.0)',
    done=True,
)
FAILED = ToolCall(
    id="call_2", name="changelog", arguments={}, result="no such repository", done=True, failed=True
)

# Open WebUI 0.12.4's own tokenizer (src/lib/utils/marked/extension.ts) and attribute regex.
DETAILS = re.compile(r"^<details(\s+[^>]*)?>\n", re.MULTILINE)
ATTRIBUTE = re.compile(r'(\w+)="(.*?)"')


def open_webui_blocks(text: str) -> list[dict[str, str]]:
    """The details blocks Open WebUI's markdown extension finds in ``text``, as attributes."""
    blocks = []
    for match in DETAILS.finditer(text):
        assert "</details>" in text[match.end() :], "every block is closed"
        blocks.append(dict(ATTRIBUTE.findall(match[0])))
    return blocks


def test_details_block_for_a_finished_call_is_what_open_webui_renders_as_a_tool_call():
    text = ToolView("details").show(DONE)
    [block] = open_webui_blocks(text)
    assert block["type"] == "tool_calls"
    assert block["done"] == "true"
    assert block["name"] == "next_version"
    assert block["id"] == "call_1"
    assert json.loads(html.unescape(block["arguments"])) == {"repo": "demo"}
    assert json.loads(html.unescape(block["result"])) == '1.3.0 ("feat" since v1.2.0)'


def test_details_block_for_a_started_call_spins_without_claiming_to_be_a_tool_call():
    # Open WebUI counts a tool_calls block whose done is not "true" as running forever, and a
    # stream cannot rewrite it; a block of its own type spins only while the message streams.
    [block] = open_webui_blocks(ToolView("details").show(STARTED))
    assert block["type"] == "tool_progress"
    assert block["done"] == "false"
    assert block["name"] == "next_version"


def test_blocks_start_on_a_line_of_their_own_after_text():
    view = ToolView("details")
    assert view.show("Let me look") == "Let me look"
    shown = view.show(STARTED)
    assert shown.startswith("\n\n<details ")
    assert view.show(DONE).startswith("<details ")


@pytest.mark.parametrize("evil", ['"><script>alert(1)</script>', "a\nb", "</details>"])
def test_arguments_and_results_cannot_break_out_of_the_block(evil):
    call = ToolCall(id=evil, name=evil, arguments={"x": evil}, result=evil, done=True)
    text = ToolView("details").show(call)
    [block] = open_webui_blocks(text)
    assert json.loads(html.unescape(block["arguments"])) == {"x": evil}
    assert json.loads(html.unescape(block["result"])) == evil
    assert text.count("</details>") == 1
    assert "<script>" not in text


def test_long_results_are_trimmed():
    call = ToolCall(id="c", name="n", arguments={}, result="x" * 10_000, done=True)
    [block] = open_webui_blocks(ToolView("details").show(call))
    result = json.loads(html.unescape(block["result"]))
    assert len(result) <= RESULT_CHARS + 1
    assert result.endswith("…")


def test_status_lines_are_plain_text_for_other_clients():
    view = ToolView("status")
    started, done = view.show(STARTED), view.show(DONE)
    assert "<" not in started + done
    assert 'next_version {"repo": "demo"}' in started
    assert '1.3.0 ("feat" since v1.2.0)' in done
    assert "failed" in ToolView("status").show(FAILED)


def test_status_results_are_one_line():
    call = ToolCall(id="c", name="n", arguments={}, result="a\nb\n" * 200, done=True)
    line = ToolView("status").show(call).strip()
    assert "\n" not in line


def test_off_shows_nothing():
    view = ToolView("off")
    assert view.show(STARTED) == view.show(DONE) == ""
    assert view.show("text") == "text"


def test_a_failed_call_is_marked_failed_for_open_webui():
    [block] = open_webui_blocks(ToolView("details").show(FAILED))
    assert block["status"] == "failed"
    assert block["done"] == "true"


@pytest.mark.parametrize(
    ("setting", "open_webui", "expected"),
    [
        ("auto", True, "details"),
        ("auto", False, "status"),
        ("details", False, "details"),
        ("status", True, "status"),
        ("off", True, "off"),
    ],
)
def test_auto_shows_details_to_open_webui_and_status_lines_to_other_clients(
    setting, open_webui, expected
):
    assert display_for(setting, open_webui) == expected


@pytest.mark.parametrize("form", ["details", "status"])
def test_shown_tool_calls_are_taken_out_of_a_reply_sent_back_as_history(form):
    view = ToolView(form)
    reply = "".join(
        view.show(piece)
        for piece in ["Let me check.", STARTED, FAILED, DONE, "The next version is 1.3.0."]
    )
    expected = "Let me check. The next version is 1.3.0."
    assert " ".join(strip_tool_calls(reply).split()) == expected


def test_stripping_leaves_other_details_and_text_alone():
    text = "<details>\n<summary>Plan</summary>\nstep 1\n</details>\n⚙ is a gear"
    assert strip_tool_calls(text) == text


def test_a_started_call_is_labelled_with_its_name_and_holds_its_arguments():
    text = ToolView("details").show(
        ToolCall(id="c", name="next_version", arguments={"ref": "</details>`"})
    )
    assert "<summary>Calling next_version</summary>\n" in text  # Open WebUI needs the newline
    assert text.count("</details>") == 1
    assert strip_tool_calls("before" + text + "after").split() == ["before", "after"]


def test_unclosed_blocks_are_left_alone_in_one_pass():
    # Unclosed blocks must not make the scan go back to the end for each one: with a lazy
    # regex this 1.2 MB message took minutes (an 8 MB one, hours, holding the event loop).
    text = '<details type="tool_calls" x>\n' * 40_000
    assert strip_tool_calls(text) == text
    # As before: a block runs from an opening to the first closing after it.
    assert strip_tool_calls("before" + text + "</details>\nafter") == "before\nafter"


def test_with_display_off_text_around_a_tool_call_stays_apart():
    # The stored reply has the words before and after the call as separate messages: the
    # client's copy must not glue them together ("check.echo:").
    view = ToolView("off")
    shown = "".join(view.show(p) for p in ["Let me check.", STARTED, DONE, "It is 1.3.0."])
    assert shown.split() == ["Let", "me", "check.", "It", "is", "1.3.0."]
