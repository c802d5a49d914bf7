"""One SQLite file serves one agentllm process: a second is refused, and the claim ends with its
process (moved from the unit suite, which starts no process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentllm.db import make_db
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration


def test_sqlite_refuses_a_second_process_and_names_postgresql(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    make_db(url)  # this process holds the file now
    script = f"from agentllm.db import make_db\nmake_db({url!r})\n"
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert other.returncode != 0
    assert "in use by another agentllm process" in other.stderr
    assert "PostgreSQL" in other.stderr


def test_sqlite_is_free_again_once_its_process_has_exited(tmp_path):
    path = tmp_path / "s.db"
    script = f"from agentllm.db import make_db\nmake_db('sqlite:///{path}')\n"
    for _ in range(2):  # the second process would fail if the first had left its claim
        subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=120)
