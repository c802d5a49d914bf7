"""Open WebUI (0.12.x): how its background tasks (title, tags, follow-ups, autocomplete, emoji,
query and image-prompt generation) are told from a chat turn.

Open WebUI marks each task request itself, in ``metadata["task"]`` (``TASKS`` in
open_webui/constants.py, set in open_webui/routers/tasks.py), but strips ``metadata`` from the
body it forwards (``generate_chat_completion`` in open_webui/routers/openai.py). The signal
reaches us only through a header the admin adds to the connection: a connection's custom headers
may use the ``{{TASK}}`` placeholder, filled from ``metadata["task"]`` (``parse_custom_headers``
in open_webui/utils/headers.py), for example with
``OPENAI_API_CONFIGS='{"0": {"headers": {"X-OpenWebUI-Task": "{{TASK}}"}}}'``
(docs/open-webui.md). A chat turn then carries the header empty, a task carries the task's name.

Without that header, a task is recognised by the text of Open WebUI's default task prompt
templates (``### Task:`` first, ``<chat_history>`` later), which an admin can edit: the pattern
is a setting, ``AGENTLLM_BACKGROUND_TASK_PATTERN`` (config.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The header the connection is configured to send with the value ``{{TASK}}`` (lower-case).
TASK_HEADER = "x-openwebui-task"
# Open WebUI 0.12's default task templates (open_webui/config.py, ``DEFAULT_*_PROMPT_TEMPLATE``).
DEFAULT_TASK_PATTERN = r"\A\s*### Task:.*<chat_history>"


def task_pattern(pattern: str = DEFAULT_TASK_PATTERN) -> re.Pattern[str]:
    """``pattern`` compiled as the matcher of task prompts (``.`` matches newlines too)."""
    return re.compile(pattern, re.DOTALL)


_DEFAULT = task_pattern()


def open_webui_task(headers: Mapping[str, str]) -> str | None:
    """The Open WebUI task a request is (``title_generation``…), ``""`` for a chat turn, or
    ``None`` when the request does not say (the header is not configured). ``headers`` have
    lower-case names."""
    value = headers.get(TASK_HEADER)
    return None if value is None else value.strip()


def background_task(
    headers: Mapping[str, str], message: str, pattern: re.Pattern[str] | None = None
) -> bool:
    """Whether a request is one of Open WebUI's background tasks: by its task header when the
    connection sends one, else by its newest message matching ``pattern`` (Open WebUI's default
    task templates unless given)."""
    task = open_webui_task(headers)
    if task is not None:
        return bool(task)
    return (pattern or _DEFAULT).search(message) is not None
