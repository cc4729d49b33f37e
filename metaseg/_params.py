"""Checks of parameters given to estimators and plots: integers, reals, choices, ``as_of``.

Each returns the value when it is valid and otherwise raises
:class:`~metaseg.exceptions.ConfigError` naming the owner and the parameter, showing the
value and saying how to fix it.
"""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from metaseg._messages import did_you_mean, preview
from metaseg.exceptions import ConfigError

__all__ = ["MAX_AS_OF", "MIN_AS_OF", "check_choice", "check_int", "check_real", "parse_as_of"]

#: Earliest and latest ``as_of`` accepted: whole days inside pandas' nanosecond timestamps.
MIN_AS_OF = pd.Timestamp("1677-09-22", tz="UTC")
MAX_AS_OF = pd.Timestamp("2262-04-11", tz="UTC")


def check_int(owner: str, name: str, value: Any, *, minimum: int, hint: str) -> int:
    """Return ``value`` as an int, refusing bools, non-integers and values below ``minimum``.

    Examples
    --------
    >>> check_int("AutoKMeans", "k_min", 3, minimum=2, hint="Use 2 or more.")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(
            f"{owner}: {name} must be an integer >= {minimum}, got {value!r} "
            f"({type(value).__name__}). {hint}"
        )
    if value < minimum:
        raise ConfigError(f"{owner}: {name} must be >= {minimum}, got {value!r}. {hint}")
    return int(value)


def check_choice(owner: str, name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise a ConfigError listing them.

    Examples
    --------
    >>> check_choice("AutoKMeans", "criterion", "silhouette", ("silhouette", "davies_bouldin"))
    'silhouette'
    """
    if any(value is c or (isinstance(value, str) and value == c) for c in choices):
        return value
    hint = (
        did_you_mean(value, [c for c in choices if isinstance(c, str)])
        if isinstance(value, str)
        else ""
    )
    raise ConfigError(
        f"{owner}: unknown {name} {value!r}; choose one of {preview(list(choices))}.{hint}"
    )


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
    hint: str,
) -> float:
    """Return ``value`` as a float inside the interval, else raise a ConfigError.

    Examples
    --------
    >>> check_real("DensityClusterer", "noise_threshold", 0.2, low=0, high=1, hint="")
    0.2
    """
    ok_type = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok_type and np.isfinite(value):
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if above and below:
            return float(value)
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    raise ConfigError(f"{owner}: {name} must be a number in {interval}, got {value!r}. {hint}")


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
