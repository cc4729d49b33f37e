"""How duration facts count days: fractional days (the default) or whole days.

Durations (``recency_days``, ``tenure_days``, ``days_since_last_*``,
``mean_days_between_orders``) are measured back from ``as_of`` in microseconds and
turned into days one of two ways:

``fractional``
    seconds / 86,400: 2 days and 12 hours is 2.5 (the default).
``whole_days``
    complete days, rounded down, like pandas' ``Timedelta.days``:
    ``(as_of - last_purchase).days``, the convention of the textbook RFM recipe, so
    2 days and 12 hours is 2.0 (still a float column, NaN when undefined).

The choice is made for all duration facts at once (``durations="whole_days"``) or per
fact (``durations={"recency_days": "whole_days"}``; the others stay fractional). In a
config it is the ``durations`` key of the ``facts:`` section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from metaseg._messages import available, did_you_mean
from metaseg.exceptions import ConfigError

DurationUnit = Literal["fractional", "whole_days"]

#: The two ways of counting days, the default first.
DURATION_UNITS: Final[tuple[str, ...]] = ("fractional", "whole_days")

#: How each convention is described beside a duration fact (``describe_facts``).
UNIT_DESCRIPTIONS: Final = {
    "fractional": "Fractional days (seconds / 86,400).",
    "whole_days": "Whole days, rounded down like pandas Timedelta.days.",
}


def check_durations(durations: Any, duration_facts: Iterable[str]) -> dict[str, str]:
    """Return the convention of every duration fact, or raise ``ConfigError``.

    Parameters
    ----------
    durations : None, str or mapping
        ``None`` or ``"fractional"`` (the default), ``"whole_days"``, or a mapping of
        duration fact names to a convention (facts not listed stay fractional).
    duration_facts : iterable of str
        The names of the duration facts.

    Returns
    -------
    dict of str to str
        One entry per duration fact.

    Examples
    --------
    >>> check_durations({"recency_days": "whole_days"}, ["recency_days", "tenure_days"])
    {'recency_days': 'whole_days', 'tenure_days': 'fractional'}
    >>> check_durations("whole_days", ["recency_days"])
    {'recency_days': 'whole_days'}
    """
    names = list(duration_facts)
    if durations is None:
        return dict.fromkeys(names, DURATION_UNITS[0])
    if isinstance(durations, str):
        return dict.fromkeys(names, _check_unit(durations, "durations"))
    if not isinstance(durations, Mapping):
        raise ConfigError(
            f"durations must be {' or '.join(map(repr, DURATION_UNITS))} or a mapping of "
            f"duration facts to one of them, got {type(durations).__name__} {durations!r}; "
            "write for example durations: whole_days."
        )
    out = dict.fromkeys(names, DURATION_UNITS[0])
    for name, unit in durations.items():
        if name not in out:
            shown = repr(name) if isinstance(name, str) else type(name).__name__
            hint = did_you_mean(name, names) if isinstance(name, str) else ""
            raise ConfigError(
                f"durations.{name}: {shown} is not a duration fact.{hint} Duration facts: "
                f"{available(names)}."
            )
        out[name] = _check_unit(unit, f"durations.{name}")
    return out


def _check_unit(unit: Any, where: str) -> str:
    if not isinstance(unit, str) or unit not in DURATION_UNITS:
        hint = did_you_mean(unit, DURATION_UNITS) if isinstance(unit, str) else ""
        raise ConfigError(
            f"{where} must be one of {list(DURATION_UNITS)}, got {unit!r}.{hint} "
            "'whole_days' counts complete days like pandas Timedelta.days."
        )
    return unit
