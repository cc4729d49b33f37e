"""Checks of the parameters of the facts stage: windows, ``as_of``, threads and memory.

``as_of`` is read by :func:`metaseg._params.parse_as_of`, the one parser every stage uses
(re-exported here with its limits ``MIN_AS_OF`` and ``MAX_AS_OF``).
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg._params import MAX_AS_OF, MIN_AS_OF, parse_as_of  # noqa: F401 (re-exported)
from metaseg.exceptions import ConfigError

#: Longest window accepted, in days (keeps window lengths in microseconds within int64).
MAX_WINDOW_DAYS = 36_500

_EPOCH = pd.Timestamp(0, tz="UTC")


def check_windows(windows: Iterable[int]) -> tuple[int, ...]:
    """Return the windows as a tuple of distinct positive ints, or raise ``ConfigError``.

    Examples
    --------
    >>> check_windows([7, 30])
    (7, 30)
    """
    if isinstance(windows, (str, bytes)) or not isinstance(windows, Iterable):
        raise ConfigError(
            f"windows must be a sequence of whole numbers of days, got {windows!r}; "
            "write for example windows=(7, 30, 90, 365)."
        )
    values = list(windows)
    checked: list[int] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(
                f"windows must hold whole numbers of days, got {value!r} "
                f"({type(value).__name__}) in {values!r}; write for example (7, 30, 90, 365)."
            )
        if not 0 < int(value) <= MAX_WINDOW_DAYS:
            raise ConfigError(
                f"windows must be positive numbers of days up to {MAX_WINDOW_DAYS}, "
                f"got {int(value)} in {values!r}; remove or change it."
            )
        checked.append(int(value))
    repeated = sorted({w for w in checked if checked.count(w) > 1})
    if repeated:
        raise ConfigError(
            f"windows must be distinct, got {repeated} more than once in {values!r}; "
            "list each window once."
        )
    return tuple(checked)


def check_threads(threads: int | None) -> int | None:
    """Return ``threads`` when it is None or a positive int, else raise ``ConfigError``."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ConfigError(
            f"threads must be a positive whole number or None (all cores), got {threads!r}."
        )
    return int(threads)


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def duckdb_config(
    threads: int | None,
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The DuckDB settings of a facts query, checked.

    Insertion order is never preserved (the facts are sorted afterwards), which lets
    DuckDB aggregate in parallel and spill without keeping row order. With a
    ``memory_limit`` DuckDB spills what does not fit to ``temp_directory`` (default: a
    ``.tmp`` folder DuckDB makes in the working folder) instead of running out of memory.

    Parameters
    ----------
    threads : int, optional
        Worker threads (default: all cores).
    memory_limit : str, optional
        Such as ``"4GB"`` or ``"512MiB"`` (default: DuckDB's, 80 % of the machine's memory).
    temp_directory : path, optional
        Where DuckDB spills; created when missing.

    Raises
    ------
    ConfigError
        A value is not of the forms above.

    Examples
    --------
    >>> duckdb_config(2, "4GB")
    {'preserve_insertion_order': False, 'threads': 2, 'memory_limit': '4GB'}
    >>> duckdb_config(None, "4 gigs")
    Traceback (most recent call last):
    ...
    metaseg.exceptions.ConfigError: memory_limit must be a size such as '4GB' or '512MiB', got '4 gigs'.
    """
    config: dict[str, Any] = {"preserve_insertion_order": False}
    threads = check_threads(threads)
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        if not isinstance(memory_limit, str) or not _MEMORY.match(memory_limit):
            raise ConfigError(
                f"memory_limit must be a size such as '4GB' or '512MiB', got {memory_limit!r}."
            )
        config["memory_limit"] = memory_limit.strip()
    if temp_directory is not None:
        if not isinstance(temp_directory, (str, os.PathLike)) or not str(temp_directory):
            raise ConfigError(f"temp_directory must be a folder path, got {temp_directory!r}.")
        folder = Path(temp_directory)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(
                f"temp_directory {str(folder)!r} is a file, not a folder; give a folder "
                "DuckDB may spill to."
            )
        config["temp_directory"] = str(folder)
    return config


def to_epoch_us(stamp: pd.Timestamp) -> int:
    """Return a UTC timestamp as integer microseconds since the Unix epoch.

    Examples
    --------
    >>> to_epoch_us(pd.Timestamp("1970-01-02", tz="UTC"))
    86400000000
    """
    return (stamp - _EPOCH) // pd.Timedelta(microseconds=1)
