"""Secret settings as the CLI reads them: the one place that unwraps a secret's value.

The settings may hold a secret as a plain string or as a pydantic ``SecretStr``; :func:`reveal`
takes either, so the rest of the CLI never touches the wrapper. Values are only ever compared and
measured here, never printed (``describe`` says what a value looks like instead).
"""

from __future__ import annotations

from typing import Any


def reveal(value: Any) -> str | None:
    """The plain text of a secret setting (``str``, ``SecretStr`` or ``None``)."""
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    text = getter() if callable(getter) else str(value)
    return text or None


def describe(value: str, looks_like: str | None) -> str:
    """What a key looks like, without any of its characters: ``set, 39 chars, looks like …``."""
    shape = f", looks like {looks_like}" if looks_like else ""
    return f"set, {len(value)} chars{shape}"
