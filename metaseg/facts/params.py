"""Checks of the parameters of the facts stage: windows, ``as_of`` and threads."""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from metaseg.exceptions import ConfigError

#: Longest window accepted, in days (keeps window lengths in microseconds within int64).
MAX_WINDOW_DAYS = 36_500

_EPOCH = pd.Timestamp(0, tz="UTC")
#: Earliest and latest ``as_of`` accepted: whole days inside pandas' nanosecond timestamps.
MIN_AS_OF = pd.Timestamp("1677-09-22", tz="UTC")
MAX_AS_OF = pd.Timestamp("2262-04-11", tz="UTC")


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


def parse_as_of(as_of: Any) -> pd.Timestamp:
    """Return ``as_of`` as a UTC ``pd.Timestamp``; a naive value is read as UTC.

    Examples
    --------
    >>> parse_as_of("2024-03-01")
    Timestamp('2024-03-01 00:00:00+0000', tz='UTC')

    Raises
    ------
    ConfigError
        ``as_of`` is not a point in time, or lies outside ``MIN_AS_OF`` .. ``MAX_AS_OF``.
    """
    if not isinstance(as_of, (str, datetime.date, np.datetime64)):
        raise ConfigError(
            f"as_of must be a timestamp or an ISO date string, got {as_of!r} "
            f"({type(as_of).__name__}); write for example as_of='2024-03-31'."
        )
    try:
        stamp = pd.Timestamp(as_of)
    except (ValueError, TypeError, OverflowError) as err:
        raise ConfigError(
            f"as_of could not be read as a timestamp: {as_of!r} ({err}); "
            "write for example as_of='2024-03-31' or '2024-03-31T23:59:59Z'."
        ) from None
    if pd.isna(stamp):
        raise ConfigError(f"as_of must be a point in time, got {as_of!r}; give a date.")
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
    if not MIN_AS_OF <= stamp <= MAX_AS_OF:
        raise ConfigError(
            f"as_of {as_of!r} is outside the dates metaseg can compute with "
            f"({MIN_AS_OF.date()} to {MAX_AS_OF.date()}); give the reference date of the "
            "data, usually the day after its last event, e.g. as_of='2024-03-31'."
        )
    return stamp.floor("us").as_unit("us")


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
