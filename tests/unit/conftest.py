"""The unit suite's promise, kept by a guard: a unit test starts no process and loads no model.

Whatever needs a real process (the proxy, git, a second Python, a database server) or the real
llama.cpp model belongs in ``tests/integration``; the unit suite stays seconds and never leaves
something running behind it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import NoReturn

import pytest

MOVE = "a unit test starts no process: move {test} to tests/integration (it {did})"
# The one exception, not ours to avoid: Python's platform module runs `uname -p` once per process
# to name the processor, and the openai client asks for it in its request headers.
ALLOWED = (["uname", "-p"],)


def _refuse(test: str, did: str) -> NoReturn:
    raise pytest.fail.Exception(MOVE.format(test=test, did=did))


@pytest.fixture(autouse=True)
def starts_no_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way Python starts a process fails the test that tried, naming where it goes."""
    test = request.node.nodeid
    start = subprocess.Popen.__init__

    def popen(self, args, *rest, **kwargs) -> None:
        if list(args) not in ALLOWED:
            _refuse(test, f"ran {args!r}")
        start(self, args, *rest, **kwargs)

    def spawn(*args, **kwargs) -> NoReturn:
        _refuse(test, "forked or spawned a process")

    # asyncio's subprocesses and multiprocessing's spawn both go through these.
    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, spawn)


@pytest.fixture(autouse=True)
def loads_no_model(request: pytest.FixtureRequest) -> Iterator[None]:
    """The real local model (llama.cpp) is loaded only by tests/integration."""
    before = "llama_cpp" in sys.modules
    yield
    if not before and "llama_cpp" in sys.modules:
        pytest.fail(
            f"a unit test loads no model: move {request.node.nodeid} to "
            "tests/integration (it imported llama_cpp)"
        )


@pytest.fixture(autouse=True)
def closes_stores() -> Iterator[None]:
    """The conversation stores a test opened through ``agentllm.db`` are closed after it: their
    threads and connections."""
    yield
    from agentllm import db

    db.close_all()
