"""Secret settings as the CLI reads them: the one place that unwraps a secret's value.

Values are only ever compared and measured here, never printed (``describe`` says what a value
looks like instead).
"""

from __future__ import annotations

from pydantic import SecretStr


def reveal(value: SecretStr | None) -> str | None:
    """The plain text of a secret setting, or None when it is not set."""
    return (value.get_secret_value() or None) if value is not None else None


def describe(value: str, looks_like: str | None) -> str:
    """What a key looks like, without any of its characters: ``set, 39 chars, looks like …``."""
    shape = f", looks like {looks_like}" if looks_like else ""
    return f"set, {len(value)} chars{shape}"
