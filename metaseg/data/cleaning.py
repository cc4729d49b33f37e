"""Cleaning steps of a column mapping: rows of the source table dropped, kept or counted.

The ``clean:`` list of an ``events:`` or ``customers:`` mapping runs on the source table,
in order, before the columns are mapped. Each step acts on the rows still kept, so a row
is counted once, by the first step that drops it, and every step records its count in
the :class:`~metaseg.data.report.DataReport`:

- ``{drop: duplicates}``: rows identical in every column are kept once (the first);
  ``ignore: [Sheet]`` leaves columns out of the comparison;
- ``{drop: <condition>}``: rows where the condition holds are dropped;
- ``{keep: <condition>}``: only rows where it holds are kept (a missing value never
  satisfies a comparison, so ``keep: {column: Price, op: ">", value: 0}`` also drops
  rows without a price);
- ``{count: <condition>}`` or ``{count: duplicates}``: rows are counted, not dropped.

Conditions are the typed trees of :mod:`metaseg.data.conditions`. A step may carry a
``reason`` (the words of its report entry) and a ``name`` (so code can find it).

Examples
--------
>>> steps = [CleanStep.model_validate(s) for s in (
...     {"drop": "duplicates"},
...     {"drop": {"column": "Invoice", "op": "starts_with", "value": "C"},
...      "reason": "cancellation"})]
>>> raw = pd.DataFrame({"Invoice": ["1", "1", "C2", "3"], "Price": [2.0, 2.0, 5.0, 1.0]})
>>> report = DataReport()
>>> clean_rows(raw, steps, report=report, step="read_events/clean")["Invoice"].tolist()
['1', '3']
>>> [(e.reason, e.rows) for e in report]
[('exact duplicate row', 1), ('cancellation', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import Discriminator, Field, Tag, model_validator

from metaseg.data._checks import examples as value_examples
from metaseg.data._models import StrictModel
from metaseg.data.conditions import Condition, columns_of, describe_condition, evaluate
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError

__all__ = ["DUPLICATES", "CleanStep", "clean_mask", "clean_rows", "step_columns"]

#: The selection word of an exact-duplicates step: ``{drop: duplicates}``.
DUPLICATES: Final = "duplicates"
ACTIONS: Final = ("drop", "keep", "count")


def _selection_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "duplicates"
    return "condition"


Selection = Annotated[
    Annotated[Literal["duplicates"], Tag("duplicates")] | Annotated[Condition, Tag("condition")],
    Discriminator(
        _selection_tag,
        custom_error_type="selection",
        custom_error_message="the rows of a step are the word 'duplicates' or a condition",
    ),
]


class CleanStep(StrictModel):
    """One cleaning step: ``drop``, ``keep`` or ``count`` rows, with its reason.

    Parameters
    ----------
    drop, keep, count : condition or "duplicates"
        Exactly one of them. ``keep`` takes a condition only.
    reason : str, optional
        The words of the report entry (by default the condition in words).
    name : str, optional
        A name to find the step by (for example ``adjustments``).
    ignore : list of str, optional
        With ``duplicates`` only: columns left out of the comparison.

    Examples
    --------
    >>> step = CleanStep.model_validate({"keep": {"column": "Price", "op": ">", "value": 0}})
    >>> step.action, step.describe()
    ('keep', 'not kept: Price > 0 does not hold')
    """

    drop: Selection | None = None
    keep: Condition | None = None
    count: Selection | None = None
    reason: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    ignore: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_action(self) -> CleanStep:
        given = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a clean step has exactly one of drop, keep, count; got {given or 'none'}. "
                "For example {drop: duplicates} or "
                "{drop: {column: Invoice, op: starts_with, value: C}}"
            )
        if self.ignore and self.selection != DUPLICATES:
            raise ValueError("ignore applies to duplicates only: {drop: duplicates, ignore: [...]}")
        return self

    @property
    def action(self) -> str:
        """``"drop"``, ``"keep"`` or ``"count"``."""
        return next(a for a in ACTIONS if getattr(self, a) is not None)

    @property
    def selection(self) -> Any:
        """The condition, or the word ``"duplicates"``."""
        return getattr(self, self.action)

    def columns(self) -> list[str]:
        """The source columns the step names (those of its condition, or ``ignore``)."""
        if self.selection == DUPLICATES:
            return list(self.ignore)
        return columns_of(self.selection)

    def describe(self) -> str:
        """The step's report reason: ``reason``, or its condition in words."""
        if self.reason is not None:
            return self.reason
        if self.selection == DUPLICATES:
            return "exact duplicate row"
        words = describe_condition(self.selection)
        if self.action == "keep":
            return f"not kept: {words} does not hold"
        return f"{words} (counted, kept)" if self.action == "count" else words


def step_columns(steps: Sequence[CleanStep]) -> dict[str, list[str]]:
    """The source columns named by each step, keyed ``clean[i]`` (for column checks)."""
    return {f"clean[{i}]": s.columns() for i, s in enumerate(steps) if s.columns()}


def needs_all_columns(steps: Sequence[CleanStep]) -> bool:
    """Whether a step compares whole rows (then every source column must be read)."""
    return any(s.selection == DUPLICATES for s in steps)


def _duplicates(frame: pd.DataFrame, step: CleanStep, alive: np.ndarray, where: str) -> np.ndarray:
    missing = [c for c in step.ignore if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"{where}: ignore names column(s) {missing} that the source table does not have. "
            "Fix: remove them from ignore."
        )
    keys = [c for c in frame.columns if c not in step.ignore]
    if not keys:
        raise ConfigError(f"{where}: ignore leaves no column to compare. Fix: shorten ignore.")
    live = frame[keys] if alive.all() else frame.loc[alive, keys]
    repeated = np.zeros(len(frame), dtype=bool)
    repeated[np.flatnonzero(alive)] = _repeated_rows(live)
    return repeated


def _repeated_rows(frame: pd.DataFrame) -> np.ndarray:
    """``frame.duplicated(keep="first")``, exact, several times faster on large tables.

    Rows are hashed first; only rows whose hash repeats can be duplicates, and those are
    compared in full, so a hash collision never merges two different rows.
    """
    if len(frame) < 10_000:
        return frame.duplicated(keep="first").to_numpy()
    # -0.0 and 0.0 are equal rows for duplicated() but hash differently: add 0.0 first.
    floats = {c: frame[c] + 0.0 for c in frame.columns if frame[c].dtype.kind == "f"}
    hashed = pd.util.hash_pandas_object(frame.assign(**floats) if floats else frame, index=False)
    candidates = hashed.duplicated(keep=False).to_numpy()
    repeated = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        repeated[candidates] = frame[candidates].duplicated(keep="first").to_numpy()
    return repeated


def clean_mask(
    frame: pd.DataFrame,
    steps: Sequence[CleanStep],
    *,
    report: DataReport,
    step: str,
    section: str = "events",
) -> list[tuple[str, np.ndarray]]:
    """Run cleaning steps and return, per dropping step, its words and the rows kept after it.

    The last mask of the list is the rows kept (an empty list: every row). Parameters
    as :func:`clean_rows`.
    """
    alive = np.ones(len(frame), dtype=bool)
    stages: list[tuple[str, np.ndarray]] = []
    for i, one in enumerate(steps):
        label = f" ({one.name})" if one.name else ""
        where = f"{section}.clean[{i}]{label}.{one.action}"
        if one.selection == DUPLICATES:
            hit = _duplicates(frame, one, alive, where)
            column, shown = frame.columns[0], frame.iloc[:, 0]
        else:
            holds = evaluate(frame, one.selection, where=where)
            hit = (~holds if one.action == "keep" else holds) & alive
            names = columns_of(one.selection)
            column = names[0] if len(names) == 1 else None
            shown = frame[names[0]]
        report.add(
            step,
            "info" if one.action == "count" else "dropped",
            one.describe(),
            rows=int(hit.sum()),
            column=None if column is None else str(column),
            examples=value_examples(shown, hit),
        )
        if one.action != "count":
            alive = alive & ~hit
            stages.append((f"dropped by {section}.clean[{i}]{label}", alive))
    return stages


def clean_rows(
    frame: pd.DataFrame,
    steps: Sequence[CleanStep],
    *,
    report: DataReport,
    step: str,
    section: str = "events",
) -> pd.DataFrame:
    """Run cleaning steps on a source table and return the rows kept (index kept).

    Parameters
    ----------
    frame : DataFrame
        The source table, its own column names.
    steps : sequence of CleanStep
        Run in order; each sees only the rows the earlier steps kept.
    report : DataReport
        Receives one entry per step that matched rows: ``dropped`` for drop and keep,
        ``info`` for count.
    step : str
        The report's step name, e.g. ``"read_events/clean"``.
    section : str
        ``"events"`` or ``"customers"``, for messages.

    Raises
    ------
    ConfigError
        A step names a missing column, or a value does not fit its column.
    """
    stages = clean_mask(frame, steps, report=report, step=step, section=section)
    if not stages or stages[-1][1].all():
        return frame
    return frame[stages[-1][1]]
