"""The fixtures' own promise: what a test starts is stopped, waited for and its log closed, even
when a second proxy fails to start after the first."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration.conftest import Proxy, running_proxy

pytestmark = pytest.mark.integration


def children() -> list[tuple[str, str]]:
    """This process's child processes: (state, command line), zombies included."""
    found = []
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in listing.read_text().split():
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:  # gone between the listing and the read
                continue
            found.append((state, command.decode(errors="replace")))
    return found


def open_files_under(folder: Path) -> list[str]:
    """The files this process holds open under ``folder`` (the proxies' logs, if left open)."""
    held = []
    for fd in Path(f"/proc/{os.getpid()}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            held.append(target)
    return held


def test_a_second_proxy_that_fails_to_start_stops_the_first(tmp_path):
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first: Proxy | None = None
    with pytest.raises(RuntimeError, match="proxy exited with") as failed, ExitStack() as stack:
        first = stack.enter_context(running_proxy(tmp_path / "first"))
        assert first.process.poll() is None
        # A malformed setting: the second proxy exits at once, before it is healthy.
        stack.enter_context(running_proxy(tmp_path / "second", {"AGENTLLM_REQUEST_TIMEOUT": "x"}))
    assert "AGENTLLM_REQUEST_TIMEOUT" in str(failed.value)  # the failing proxy's log, quoted
    assert first is not None
    assert first.process.returncode is not None  # stopped and waited for
    assert first.log_file.closed
    assert open_files_under(tmp_path) == []  # both logs closed, the failed one's too
    left = [(state, command) for state, command in children() if str(tmp_path) in command]
    assert left == []  # neither proxy is still running
    assert not [command for state, command in children() if state == "Z"]  # none unwaited
