"""The dead-letter file: webhook batches that could not be delivered, kept for a replay.

A JSON Lines file, one batch per line::

    {"attempts": 5, "batch": {"records": [...]}, "error": "HTTP 503", "failed_at": "...",
     "idempotency_key": "...", "records": 100, "status": 503, "target": "https://..."}

The file is rewritten atomically on every change (entries with the same idempotency key
replace each other), so it is never half written. It holds the full target URL, which
may include credentials, and labels: a new file is created readable by its owner only.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metaseg._io import atomic_write_bytes
from metaseg.exceptions import ExportError


@dataclass(frozen=True)
class DeadLetter:
    """One undelivered batch.

    Attributes
    ----------
    target : str
        The full webhook URL.
    idempotency_key : str
        The batch's key when it failed.
    batch : dict
        The JSON payload, ``{"records": [...]}``.
    records : int
        Records in the batch.
    attempts : int
        Requests made for it so far.
    status : int or None
        The last HTTP status, if any.
    error : str
        The last error.
    failed_at : str
        When it was given up, ISO 8601 UTC.
    """

    target: str
    idempotency_key: str
    batch: dict[str, Any]
    records: int
    attempts: int
    status: int | None
    error: str
    failed_at: str

    def __repr__(self) -> str:
        return (
            f"DeadLetter(key={self.idempotency_key[:12]}..., records={self.records}, "
            f"attempts={self.attempts}, error={self.error!r})"
        )


def now_iso() -> str:
    """The current UTC time as ISO 8601 text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_dead_letters(path: str | os.PathLike[str]) -> list[DeadLetter]:
    """Read a dead-letter file; a missing file holds no letters.

    Raises
    ------
    ExportError
        If a line is not a dead-letter entry; the message gives the line number.

    Examples
    --------
    >>> read_dead_letters("/nonexistent/dead.jsonl")
    []
    """
    file = Path(path)
    if not file.exists():
        return []
    letters = []
    fields = set(DeadLetter.__dataclass_fields__)
    with file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                missing = fields - set(entry)
                if missing:
                    raise ValueError(f"missing field(s) {sorted(missing)}")
                if not isinstance(entry["batch"].get("records"), list):
                    raise ValueError("'batch' has no 'records' list")
                check_entry(entry)
                letters.append(DeadLetter(**{k: entry[k] for k in fields}))
            except (ValueError, TypeError, AttributeError) as exc:
                raise ExportError(
                    f"dead-letter file {str(file)!r} line {number} is not a dead-letter entry "
                    f"({exc}); fix or remove that line."
                ) from None
    return letters


#: The type each field of a dead-letter entry must have (``None`` allowed for ``status``).
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "target": (str,),
    "idempotency_key": (str,),
    "records": (int,),
    "attempts": (int,),
    "status": (int, type(None)),
    "error": (str,),
    "failed_at": (str,),
}


def check_entry(entry: dict[str, Any]) -> None:
    """Check the types of one parsed dead-letter entry, so a replay fails before sending.

    Parameters
    ----------
    entry : dict
        One JSON line of a dead-letter file.

    Raises
    ------
    ValueError
        Naming the field, the value found and what it must be.

    Examples
    --------
    >>> check_entry({"target": "https://x", "idempotency_key": "k", "records": 1,
    ...              "attempts": "a", "status": None, "error": "", "failed_at": "",
    ...              "batch": {"records": [{}]}})
    Traceback (most recent call last):
    ...
    ValueError: field 'attempts' must be a whole number >= 0, got 'a' (str)
    """
    for name, types in _FIELD_TYPES.items():
        value = entry[name]
        if isinstance(value, bool) or not isinstance(value, types):
            want = "a whole number >= 0" if int in types else "text"
            if name == "status":
                want = "an HTTP status code or null"
            raise ValueError(
                f"field {name!r} must be {want}, got {value!r} ({type(value).__name__})"
            )
        if name in ("records", "attempts") and value < 0:
            raise ValueError(f"field {name!r} must be a whole number >= 0, got {value!r}")
    records = entry["batch"]["records"]
    bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
    if bad is not None:
        raise ValueError(
            f"'batch.records[{bad}]' must be a label record (a JSON object), got {records[bad]!r}"
        )


def write_dead_letters(path: str | os.PathLike[str], letters: list[DeadLetter]) -> None:
    """Replace the file with ``letters``; remove it when there are none."""
    file = Path(path)
    if not letters:
        file.unlink(missing_ok=True)
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(asdict(letter), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        for letter in letters
    ]
    atomic_write_bytes(file, ("\n".join(lines) + "\n").encode("utf-8"), private=True)


def add_dead_letters(path: str | os.PathLike[str], letters: list[DeadLetter]) -> None:
    """Add ``letters`` to the file; an entry with the same key is replaced by the new one."""
    if not letters:
        return
    new_keys = {(letter.target, letter.idempotency_key) for letter in letters}
    kept = [
        old for old in read_dead_letters(path) if (old.target, old.idempotency_key) not in new_keys
    ]
    write_dead_letters(path, kept + letters)
