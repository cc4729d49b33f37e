"""Small helpers that make error messages name things and show values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any


def close_matches(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` entries of ``choices`` that look like ``name``.

    Examples
    --------
    >>> close_matches("recncy_days", ["recency_days", "frequency", "monetary"])
    ['recency_days']
    """
    pool = [str(c) for c in choices]
    found = difflib.get_close_matches(str(name), pool, n=n, cutoff=0.6)
    lowered = {c.lower(): c for c in pool}
    if not found and str(name).lower() in lowered:
        found = [lowered[str(name).lower()]]
    return found


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` or an empty string when nothing is close."""
    found = close_matches(name, choices)
    if not found:
        return ""
    return " Did you mean " + " or ".join(repr(f) for f in found) + "?"


def preview(values: Sequence[Any] | Iterable[Any], limit: int = 5) -> str:
    """Render at most ``limit`` values for a message, noting how many were left out.

    Examples
    --------
    >>> preview([1, 2, 3, 4, 5, 6, 7], limit=3)
    '[1, 2, 3, ... (4 more)]'
    """
    items = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in items[:limit])
    rest = len(items) - limit
    return f"[{shown}, ... ({rest} more)]" if rest > 0 else f"[{shown}]"


def available(choices: Iterable[str], limit: int = 30) -> str:
    """List the available names for a message, sorted, truncated to ``limit``."""
    return preview(sorted(str(c) for c in choices), limit=limit)
