"""Checks of the parameters of the facts stage: windows, ``as_of`` and threads.

``as_of`` is read by :func:`metaseg._params.parse_as_of`, the one parser every stage uses
(re-exported here with its limits ``MIN_AS_OF`` and ``MAX_AS_OF``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

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


def to_epoch_us(stamp: pd.Timestamp) -> int:
    """Return a UTC timestamp as integer microseconds since the Unix epoch.

    Examples
    --------
    >>> to_epoch_us(pd.Timestamp("1970-01-02", tz="UTC"))
    86400000000
    """
    return (stamp - _EPOCH) // pd.Timedelta(microseconds=1)
