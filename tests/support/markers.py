"""The rule that every test file under a folder carries that folder's marker (``pytestmark``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _names(pytestmark: Any) -> set[str]:
    marks = pytestmark if isinstance(pytestmark, list | tuple) else [pytestmark]
    return {mark.name for mark in marks}  # a Mark or a MarkDecorator: both have a name


def unmarked_files(items: Iterable[Any], folder: Path, marker: str) -> list[Path]:
    """The test files under ``folder`` among ``items`` whose module-wide ``pytestmark`` lacks
    ``marker`` (a mark on single tests does not count: the rule is per file)."""
    missing: set[Path] = set()
    for item in items:
        path = Path(item.path)
        if not path.is_relative_to(folder):
            continue
        if marker not in _names(getattr(item.module, "pytestmark", [])):
            missing.add(path)
    return sorted(missing)
