"""docs/configuration.md's settings table and the settings object list the same variables."""

from __future__ import annotations

import re
from pathlib import Path

from agentllm.config import Settings

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def table_variables(heading: str, page: Path = PAGE) -> list[str]:
    """The variables named in the first column of the first table under ``heading``."""
    lines = page.read_text().splitlines()
    start = lines.index(heading)
    rows: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break  # the table ended
    assert rows[0].startswith("| variable |") and set(rows[1]) <= set("|- "), rows[:2]
    names: list[str] = []
    for row in rows[2:]:
        first_cell = row.split("|")[1]
        names += re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell)
    return names


def test_the_settings_table_lists_exactly_the_settings():
    documented = table_variables("## Settings")
    assert len(documented) == len(set(documented)), "a variable is listed twice"
    settings = set(Settings.variables().values())
    assert not settings - set(documented), "settings missing from docs/configuration.md's table"
    assert not set(documented) - settings, "docs/configuration.md rows that are no setting"
    assert len(documented) == len(settings)


def test_variables_read_by_the_libraries_are_not_settings():
    # They have a table of their own, so that one is not taken for the other.
    others = table_variables("## Read by the libraries")
    assert others and not set(others) & set(Settings.variables().values())


def test_a_missing_setting_is_caught(tmp_path):
    # The check above can fail: a copy of the page without one row no longer lists every setting.
    page = tmp_path / "configuration.md"
    text = PAGE.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `AGENTLLM_DB_URL`"))
    page.write_text(text.replace(row + "\n", ""))
    documented = set(table_variables("## Settings", page))
    assert set(Settings.variables().values()) - documented == {"AGENTLLM_DB_URL"}
