"""The rules that keep the suites honest: unit tests start no process, integration files are
marked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests.support.markers import unmarked_files

MOVE = r"a unit test starts no process: move .* to tests/integration"


def item(path: Path, pytestmark=None):
    module = types.ModuleType(path.stem)
    if pytestmark is not None:
        module.pytestmark = pytestmark  # type: ignore[attr-defined]
    return types.SimpleNamespace(path=path, module=module)


def test_a_file_without_the_folders_marker_is_named_once(tmp_path):
    folder = tmp_path / "integration"
    items = [
        item(folder / "test_a.py", pytest.mark.integration),
        item(folder / "test_b.py", [pytest.mark.integration, pytest.mark.timeout(5)]),
        item(folder / "test_c.py"),
        item(folder / "test_c.py"),
        item(folder / "test_d.py", pytest.mark.timeout(5)),
        item(tmp_path / "unit" / "test_e.py"),  # another folder: not this rule's business
    ]
    assert unmarked_files(items, folder, "integration") == [
        folder / "test_c.py",
        folder / "test_d.py",
    ]


def test_every_way_to_start_a_process_fails_a_unit_test_saying_where_it_belongs():
    with pytest.raises(pytest.fail.Exception, match=MOVE + r" \(it ran \['true'\]\)"):
        subprocess.run(["true"], check=True)
    with pytest.raises(pytest.fail.Exception, match=MOVE):
        subprocess.Popen([sys.executable, "-c", "pass"])
    with pytest.raises(pytest.fail.Exception, match=MOVE):
        os.system("true")
    with pytest.raises(pytest.fail.Exception, match=MOVE):
        asyncio.run(asyncio.create_subprocess_exec("true"))
