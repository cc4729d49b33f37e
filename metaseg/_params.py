"""Checks of parameters given to estimators and plots: integers, reals, choices.

Each returns the value when it is valid and otherwise raises
:class:`~metaseg.exceptions.ConfigError` naming the owner and the parameter, showing the
value and saying how to fix it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from metaseg._messages import did_you_mean, preview
from metaseg.exceptions import ConfigError

__all__ = ["check_choice", "check_int", "check_real"]


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
