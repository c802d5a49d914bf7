"""Open WebUI in a real browser, in front of the real proxy and the offline model.

The offline model answers ``echo: <last message>`` and ``context: <every user message the agent
received, joined by " | ">``, so the page itself shows what the agent saw.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import time
import zlib
from pathlib import Path

import pytest
from agno.db.base import SessionType
from agno.db.sqlite import SqliteDb

from tests.support.store import stored_runs, stored_user_messages

# Plain `pytest` (no playwright installed) skips this file; `make e2e` provides playwright.
pytest.importorskip("playwright", reason="browser tests run with `make e2e`")
from playwright.sync_api import Page, expect

AGENT = "agno/release-manager"
ROOT = Path(__file__).resolve().parents[2]
# Screenshots land in tmp/ unless asked for elsewhere: `AGENTLLM_E2E_SCREENSHOTS=docs/img make e2e`
# refreshes the README's pictures.
SCREENSHOTS = ROOT / os.environ.get("AGENTLLM_E2E_SCREENSHOTS", "tmp/e2e/screenshots")


# helpers ----------------------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    """A real (decodable) PNG of ``width`` x ``height`` grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([128, 128, 128]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pick_agent(page: Page, agent: str = AGENT) -> None:
    page.click("#model-selector-model-button")
    page.fill('input[placeholder="Search a model"]', agent.removeprefix("agno/"))
    page.click(f'button[role=option][data-value="{agent}"]')
    expect(page.locator("#model-selector-model-button")).to_have_attribute(
        "aria-label", f"Selected model: {agent}"
    )


def replies(page: Page):
    return page.locator('[id="response-content-container"]')


def wait_for_reply(page: Page, count: int, context: list[str]) -> list[str]:
    """Wait until the ``count``-th reply has finished streaming; return its ``context`` items."""
    reply = replies(page).nth(count - 1)
    expect(reply).to_contain_text(f"context: {' | '.join(context)}", timeout=60_000)
    # A reply's own action buttons appear under it once it is complete.
    message = reply.locator("xpath=ancestor::div[starts-with(@id, 'message-')][1]")
    expect(message.get_by_role("button", name="Regenerate")).to_be_visible()
    return context_of(reply.inner_text())


def context_of(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.startswith("context: ")]
    assert len(lines) == 1, f"expected one context line in {text!r}"
    return lines[0].removeprefix("context: ").split(" | ")


def send(page: Page, text: str) -> None:
    page.click("#chat-input")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def chat_id(page: Page) -> str:
    page.wait_for_url(re.compile(r".*/c/[^/]+$"))
    return page.url.rstrip("/").rsplit("/", 1)[1]


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1_000)  # let the streamed words finish fading in
    page.screenshot(path=str(SCREENSHOTS / name))


def poll(check, seconds: float = 15):
    """``check()`` once it is truthy, else its last value after ``seconds``.

    A poll with a short backoff: what the proxy stored is in its database, which announces nothing.
    """
    deadline, pause = time.monotonic() + seconds, 0.01
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.2)
    return value


def wait_stored(proxy, user_id: str, chat: str, expected: list[str]) -> None:
    """The proxy stores a turn as its stream ends: give it a moment after the page shows it."""
    found: list[str] = []

    def stored() -> bool:
        nonlocal found
        found = stored_user_messages(proxy.db_path, user_id, chat)
        return found == expected

    assert poll(stored), f"stored {found}, expected {expected}"


def stored_runs_of(proxy, user_id: str, chat: str) -> list:
    return stored_runs(proxy.db_path, user_id, chat)


def every_stored_message(proxy) -> list[str]:
    """Every message of every run of every conversation in the proxy's store."""
    db = SqliteDb(db_file=str(proxy.db_path))
    found = []
    for session in db.get_sessions(session_type=SessionType.AGENT) or []:
        for run in getattr(session, "runs", None) or []:
            found += [m.get_content_string() for m in run.messages or []]
    return found


def turns_of(recorder, chat: str) -> list:
    """The chat requests Open WebUI sent for ``chat`` that were turns, not background tasks."""
    return [
        r
        for r in recorder.chats()
        if r.headers.get("x-openwebui-chat-id") == chat and not r.is_background_task
    ]


def wait_for_background_tasks(recorder, kinds: set[str]) -> list:
    """Open WebUI's background requests once one of each kind (a word of its prompt) was seen."""

    def background(chats: list) -> list:
        return [r for r in chats if r.is_background_task]

    def seen(tasks: list) -> set[str]:
        return {k for r in tasks for k in kinds if k in r.body["messages"][0]["content"].lower()}

    def all_kinds(chats: list) -> list | None:
        tasks = background(chats)
        return tasks if seen(tasks) == kinds else None

    tasks = recorder.wait_for_chats(all_kinds, timeout=30)
    assert tasks, f"background tasks seen: {sorted(seen(background(recorder.chats())))}"
    return tasks


# tests ------------------------------------------------------------------------------------------


def test_agent_is_listed_with_open_webui_builtin_tools_off(open_webui):
    with open_webui.api() as api:
        models = {m["id"]: m for m in api.get("/api/models").raise_for_status().json()["data"]}
    assert AGENT in models
    capabilities = (models[AGENT].get("info") or {}).get("meta", {}).get("capabilities", {})
    assert capabilities.get("builtin_tools") is False


def test_two_turns_in_one_chat_reach_the_agent_once_each(page, open_webui, proxy, recorder):
    pick_agent(page)
    send(page, "alpha plan the release")
    assert wait_for_reply(page, 1, ["alpha plan the release"]) == ["alpha plan the release"]
    chat = chat_id(page)
    send(page, "beta write the checklist")
    assert wait_for_reply(page, 2, ["alpha plan the release", "beta write the checklist"]) == [
        "alpha plan the release",
        "beta write the checklist",
    ]
    screenshot(page, "open-webui-chat.png")

    wait_stored(
        proxy,
        open_webui.user_id,
        chat,
        [
            "alpha plan the release",
            "beta write the checklist",
        ],
    )
    turns = turns_of(recorder, chat)
    assert len(turns) == 2
    for turn in turns:
        assert turn.body["stream"] is True
        assert turn.headers["x-openwebui-user-id"] == open_webui.user_id
        assert not turn.body.get("tools"), "Open WebUI's built-in tools should be off"
    # Open WebUI's title, tag and follow-up requests reached the proxy, but none was stored.
    tasks = wait_for_background_tasks(recorder, {"title", "tags", "follow_ups"})
    assert all(r.body.get("stream") is not True for r in tasks)
    assert not [m for m in every_stored_message(proxy) if m and "### Task:" in m]


def test_second_chat_does_not_see_the_first(page, open_webui, proxy):
    pick_agent(page)
    send(page, "gamma first chat")
    assert wait_for_reply(page, 1, ["gamma first chat"]) == ["gamma first chat"]
    first = chat_id(page)

    page.locator('[aria-label="New Chat"]').locator("visible=true").first.click()
    expect(replies(page)).to_have_count(0)
    send(page, "delta second chat")
    assert wait_for_reply(page, 1, ["delta second chat"]) == ["delta second chat"]
    second = chat_id(page)

    assert second != first
    wait_stored(proxy, open_webui.user_id, second, ["delta second chat"])
    wait_stored(proxy, open_webui.user_id, first, ["gamma first chat"])


def test_regenerated_answer_is_not_duplicated(page, open_webui, proxy, recorder):
    pick_agent(page)
    send(page, "epsilon draft notes")
    wait_for_reply(page, 1, ["epsilon draft notes"])
    chat = chat_id(page)
    send(page, "zeta bump version")
    wait_for_reply(page, 2, ["epsilon draft notes", "zeta bump version"])

    # Regenerate opens a menu (try again, add details, more concise, or a suggestion).
    page.get_by_role("button", name="Regenerate").last.click()
    page.get_by_role("button", name="Try Again").click()
    # Open WebUI keeps both answers and shows the new one as "2/2".
    expect(page.get_by_text(re.compile(r"^\s*2\s*/\s*2\s*$")).last).to_be_visible(timeout=60_000)
    assert wait_for_reply(page, 2, ["epsilon draft notes", "zeta bump version"]) == [
        "epsilon draft notes",
        "zeta bump version",
    ]
    regenerated = turns_of(recorder, chat)[-1]
    # Open WebUI sends the history again, up to the question being answered anew.
    assert [m["role"] for m in regenerated.body["messages"] if m["role"] != "system"] == [
        "user",
        "assistant",
        "user",
    ]
    assert len(turns_of(recorder, chat)) == 3
    screenshot(page, "open-webui-regenerate.png")
    wait_stored(proxy, open_webui.user_id, chat, ["epsilon draft notes", "zeta bump version"])

    send(page, "eta after regenerate")
    conversation = ["epsilon draft notes", "zeta bump version", "eta after regenerate"]
    assert wait_for_reply(page, 3, conversation) == conversation
    wait_stored(proxy, open_webui.user_id, chat, conversation)


def test_a_thought_shows_as_a_collapsible_and_the_next_turn_sees_the_history_once(
    page, open_webui, proxy, recorder
):
    pick_agent(page)
    page.click("#chat-input")
    page.keyboard.type("theta ship it")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("/think weigh the risks first")
    page.keyboard.press("Enter")
    first = "theta ship it\n/think weigh the risks first"
    reply = replies(page).nth(0)
    expect(reply).to_contain_text("context: theta ship it", timeout=60_000)
    # Open WebUI renders streamed reasoning_content as its collapsible thought, not as the answer.
    expect(page.get_by_text(re.compile(r"Thought"))).to_be_visible(timeout=30_000)
    chat = chat_id(page)
    wait_stored(proxy, open_webui.user_id, chat, [first])
    screenshot(page, "open-webui-thought.png")

    send(page, "iota next")
    reply = replies(page).nth(1)
    expect(reply).to_contain_text("context: theta ship it", timeout=60_000)
    message = reply.locator("xpath=ancestor::div[starts-with(@id, 'message-')][1]")
    expect(message.get_by_role("button", name="Regenerate")).to_be_visible()
    wait_stored(proxy, open_webui.user_id, chat, [first, "iota next"])
    # The thought came back inside the history Open WebUI sent, or not; either way the agent saw
    # each earlier turn once and nothing was superseded.
    runs = stored_runs_of(proxy, open_webui.user_id, chat)
    assert [r.status.value for r in runs] == ["COMPLETED", "COMPLETED"]
    assert reply.inner_text().rstrip().endswith("/think weigh the risks first | iota next")
    sent_back = turns_of(recorder, chat)[-1].body["messages"]
    assert [m["role"] for m in sent_back if m["role"] != "system"] == ["user", "assistant", "user"]


def test_a_workflows_first_step_is_a_thought_and_the_next_turn_sees_the_history_once(
    page, open_webui, proxy
):
    pick_agent(page, "agno/release-notes")
    send(page, "kappa notes")
    first = replies(page).nth(0)
    # The editor (last step) echoes the analyst's (first step's) output: the answer.
    expect(first).to_contain_text("echo: echo: kappa notes", timeout=60_000)
    expect(page.get_by_text(re.compile(r"Thought"))).to_be_visible(timeout=30_000)
    message = first.locator("xpath=ancestor::div[starts-with(@id, 'message-')][1]")
    expect(message.get_by_role("button", name="Regenerate")).to_be_visible()
    chat = chat_id(page)

    send(page, "lambda next")
    expect(replies(page).nth(1)).to_contain_text(
        "context: kappa notes | lambda next", timeout=60_000
    )
    screenshot(page, "open-webui-workflow.png")
    statuses: list = []

    def both_completed() -> bool:  # the proxy stores a turn as its stream ends
        nonlocal statuses
        runs = stored_runs(proxy.db_path, open_webui.user_id, chat, agent="release-notes")
        statuses = [getattr(r.status, "value", r.status) for r in runs]
        return statuses == ["COMPLETED", "COMPLETED"]

    assert poll(both_completed), f"stored runs {statuses}"


def test_a_tool_call_shows_as_open_webuis_tool_call_and_the_next_turn_reconciles(
    page, open_webui, proxy, recorder
):
    pick_agent(page)
    page.click("#chat-input")
    page.keyboard.type("kappa what did we discuss?")
    page.keyboard.press("Shift+Enter")
    # Typed key by key, the rich-text input would turn the quotes into typographic ones.
    page.keyboard.insert_text('/tool get_chat_history {"num_chats": 1}')
    page.keyboard.press("Enter")
    first = 'kappa what did we discuss?\n/tool get_chat_history {"num_chats": 1}'
    reply = replies(page).nth(0)
    expect(reply).to_contain_text("tool get_chat_history: []", timeout=60_000)
    # Open WebUI renders the finished call as its own tool call (name, arguments, result).
    call = page.get_by_text("View Result from get_chat_history")
    expect(call).to_be_visible(timeout=30_000)
    # Above it, the line that showed the call starting (with a spinner while it streamed).
    expect(page.get_by_text("Calling get_chat_history", exact=True)).to_be_visible()
    chat = chat_id(page)
    wait_stored(proxy, open_webui.user_id, chat, [first])
    call.click()  # opened, it lists the arguments as Input and the result as Output
    expect(page.get_by_text("Input", exact=True)).to_be_visible()
    expect(page.get_by_text("Output", exact=True)).to_be_visible()
    screenshot(page, "open-webui-tool-call.png")

    send(page, "lambda and now?")
    reply = replies(page).nth(1)
    expect(reply).to_contain_text("context: kappa what did we discuss?", timeout=60_000)
    message = reply.locator("xpath=ancestor::div[starts-with(@id, 'message-')][1]")
    expect(message.get_by_role("button", name="Regenerate")).to_be_visible()
    wait_stored(proxy, open_webui.user_id, chat, [first, "lambda and now?"])
    assert reply.inner_text().rstrip().endswith('{"num_chats": 1} | lambda and now?')
    # Open WebUI sent the first reply back with the tool call in it; it was recognised as the
    # stored reply, so nothing was superseded or stored twice.
    sent_back = turns_of(recorder, chat)[-1].body["messages"]
    [earlier] = [m for m in sent_back if m["role"] == "assistant"]
    assert 'type="tool_calls"' in earlier["content"]
    runs = stored_runs_of(proxy, open_webui.user_id, chat)
    assert [r.status.value for r in runs] == ["COMPLETED", "COMPLETED"]


def test_an_uploaded_image_reaches_the_agent_and_is_stored_as_a_reference(
    page, open_webui, proxy, recorder, tmp_path
):
    picture = tmp_path / "release-chart.png"
    picture.write_bytes(png(64, 48))
    pick_agent(page)
    page.locator('input[type="file"]').first.set_input_files(str(picture))
    # Uploaded, it shows as a thumbnail above the input, served by Open WebUI.
    expect(page.locator('img[src*="/api/v1/files/"]')).to_be_visible()
    send(page, "mu what does this chart show?")
    reply = replies(page).nth(0)
    # The offline model names each image it received, with its media type and size.
    expect(reply).to_contain_text("[image image/png", timeout=60_000)
    chat = chat_id(page)
    wait_stored(proxy, open_webui.user_id, chat, ["mu what does this chart show?"])
    [turn] = turns_of(recorder, chat)
    [sent] = [m for m in turn.body["messages"] if m["role"] == "user"]
    [part] = [p for p in sent["content"] if p["type"] == "image_url"]
    size = len(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))
    assert f"[image image/png {size} bytes]" in reply.inner_text()
    screenshot(page, "open-webui-image.png")

    send(page, "nu and the next one?")
    reply = replies(page).nth(1)
    expect(reply).to_contain_text("context: mu what does this chart show?", timeout=60_000)
    expect(reply).to_contain_text(f"[image image/png {size} bytes] | nu and the next one?")
    wait_stored(
        proxy, open_webui.user_id, chat, ["mu what does this chart show?", "nu and the next one?"]
    )
    runs = stored_runs_of(proxy, open_webui.user_id, chat)
    assert [r.status.value for r in runs] == ["COMPLETED", "COMPLETED"]
    assert part["image_url"]["url"].split(",", 1)[1] not in proxy.db_path.read_bytes().decode(
        "latin-1"
    )
