"""The data report: every row dropped or changed on the way in, with why and how many.

Nothing in metaseg drops or rewrites rows silently. Readers, mappers, validators and
dataset loaders record each action in a :class:`DataReport`, which prints as a
readable table, renders as HTML in Jupyter and converts to a DataFrame for logging.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Action = Literal["dropped", "changed", "info"]
_ACTIONS: tuple[str, ...] = ("dropped", "changed", "info")
Unit = Literal["rows", "customers"]
_UNITS: tuple[str, ...] = ("rows", "customers")


@dataclass(frozen=True)
class ReportEntry:
    """One action taken on the data.

    Parameters
    ----------
    step : str
        The stage that acted, e.g. ``"validate_events"`` or ``"load_online_retail"``.
    action : {"dropped", "changed", "info"}
        ``dropped`` removed rows, ``changed`` rewrote values in place, ``info``
        records a count without touching rows (for example rows kept as refunds).
    reason : str
        Why, in words a user understands.
    rows : int
        How many rows (or customers, see ``unit``) were affected.
    column : str, optional
        The column that caused the action.
    examples : tuple
        A few offending values, for the message.
    unit : {"rows", "customers"}
        What ``rows`` counts. ``"customers"`` entries count whole customers, for example
        customers left with no event, and are kept apart from the row totals.
    """

    step: str
    action: Action
    reason: str
    rows: int
    column: str | None = None
    examples: tuple[Any, ...] = ()
    unit: Unit = "rows"


@dataclass
class DataReport:
    """An ordered record of what happened to the rows of one or more tables.

    Examples
    --------
    >>> report = DataReport()
    >>> report.add("validate_events", "dropped", "null customer_id", rows=3,
    ...            column="customer_id")
    >>> report.rows_dropped
    3
    >>> report.to_frame()[["step", "action", "rows"]].values.tolist()
    [['validate_events', 'dropped', 3]]
    """

    entries: list[ReportEntry] = field(default_factory=list)

    def add(
        self,
        step: str,
        action: Action,
        reason: str,
        rows: int,
        column: str | None = None,
        examples: Iterable[Any] = (),
        unit: Unit = "rows",
    ) -> None:
        """Record an action; actions that touched no row are not recorded.

        ``unit="customers"`` records a count of customers rather than rows (see
        :attr:`customers_dropped`).
        """
        if action not in _ACTIONS:
            raise ValueError(f"action must be one of {_ACTIONS}, got {action!r}")
        if unit not in _UNITS:
            raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
        rows = int(rows)
        if rows < 0:
            raise ValueError(f"rows must be >= 0, got {rows}")
        if rows == 0:
            return
        self.entries.append(
            ReportEntry(step, action, reason, rows, column, tuple(list(examples)[:5]), unit)
        )

    def extend(self, other: DataReport) -> DataReport:
        """Append the entries of ``other`` and return ``self``."""
        self.entries.extend(other.entries)
        return self

    def __iter__(self) -> Iterator[ReportEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def _total(self, action: str, unit: str = "rows") -> int:
        return sum(e.rows for e in self.entries if e.action == action and e.unit == unit)

    @property
    def rows_dropped(self) -> int:
        """Total number of rows dropped."""
        return self._total("dropped")

    @property
    def rows_changed(self) -> int:
        """Total number of rows whose values were changed."""
        return self._total("changed")

    @property
    def customers_dropped(self) -> int:
        """Total number of customers dropped whole (entries with ``unit="customers"``).

        Examples
        --------
        >>> report = DataReport()
        >>> report.add("validate_events", "dropped", "every event after as_of", rows=2,
        ...            unit="customers")
        >>> report.customers_dropped, report.rows_dropped
        (2, 0)
        """
        return self._total("dropped", "customers")

    def dropped(self, reason_contains: str | None = None) -> int:
        """Rows dropped, optionally only those whose reason contains a text."""
        return sum(
            e.rows
            for e in self.entries
            if e.action == "dropped"
            and e.unit == "rows"
            and (reason_contains is None or reason_contains in e.reason)
        )

    def customers_by_reason(self) -> dict[str, int]:
        """Customers dropped whole, per reason, in the order they were recorded.

        Examples
        --------
        >>> report = DataReport()
        >>> report.add("s", "dropped", "every event after as_of", rows=3, unit="customers")
        >>> report.customers_by_reason()
        {'every event after as_of': 3}
        """
        counts: dict[str, int] = {}
        for e in self.entries:
            if e.action == "dropped" and e.unit == "customers":
                counts[e.reason] = counts.get(e.reason, 0) + e.rows
        return counts

    def to_frame(self) -> pd.DataFrame:
        """Return the report as a DataFrame with one row per entry."""
        columns = ["step", "action", "reason", "rows", "column", "examples", "unit"]
        records = [
            (e.step, e.action, e.reason, e.rows, e.column, ", ".join(map(str, e.examples)), e.unit)
            for e in self.entries
        ]
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame["rows"] = frame["rows"].astype("int64")
        return frame

    def _caption(self) -> str:
        caption = f"{self.rows_dropped:,} rows dropped, {self.rows_changed:,} changed"
        if self.customers_dropped:
            caption += f", {self.customers_dropped:,} customers left with no event"
        return caption

    def __str__(self) -> str:
        if not self.entries:
            return "DataReport: no rows dropped or changed"
        lines = [f"DataReport: {self._caption()}"]
        width = max(len(e.step) for e in self.entries)
        for e in self.entries:
            col = f" [{e.column}]" if e.column else ""
            ex = f" e.g. {', '.join(map(str, e.examples))}" if e.examples else ""
            unit = " customers:" if e.unit == "customers" else ""
            lines.append(
                f"  {e.step:<{width}}  {e.action:<7} {e.rows:>12,}{unit}  {e.reason}{col}{ex}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<p>DataReport: {self._caption()}</p>" + self.to_frame().to_html(index=False)
