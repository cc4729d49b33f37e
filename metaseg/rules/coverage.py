"""How many customers each segment holds: size, share, overlaps, empty segments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Coverage:
    """Segment sizes for one facts table.

    Attributes
    ----------
    table : DataFrame
        Indexed by segment (priority order, then the catch-all) with ``size`` (customers
        in the segment) and ``share`` (size / customers). In priority mode ``matched``
        counts the customers whose condition holds, before earlier segments take theirs,
        so ``matched > size`` shows a segment partly shadowed by an earlier one. In tags
        mode shares add up to more than 1 when segments overlap and the catch-all holds
        customers with no tag.
    overlaps : DataFrame or None
        Tags mode only: customers in both the row and the column segment (the diagonal is
        the size).
    empty : tuple of str
        Segments (not the catch-all) that hold no customer.
    n_customers : int
        Rows of the facts table.
    mode : {"priority", "tags"}

    Examples
    --------
    >>> masks = [np.array([True, True, False]), np.array([True, False, False])]
    >>> cov = coverage_from_masks(masks, ["a", "b"], "other", mode="priority")
    >>> cov.table["size"].tolist(), cov.empty
    ([2, 0, 1], ('b',))
    """

    table: pd.DataFrame
    overlaps: pd.DataFrame | None
    empty: tuple[str, ...]
    n_customers: int
    mode: str

    def __str__(self) -> str:
        shown = self.table.copy()
        shown["share"] = shown["share"].map(lambda s: f"{s:.1%}")
        lines = [f"Coverage of {self.n_customers:,} customers ({self.mode} mode)"]
        lines.append(shown.to_string())
        if self.empty:
            lines.append(f"empty segments: {', '.join(self.empty)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        caption = f"Coverage of {self.n_customers:,} customers ({self.mode} mode)"
        return f"<p>{caption}</p>" + self.table.to_html()


def coverage_from_masks(
    masks: Sequence[np.ndarray], names: Sequence[str], catch_all: str, *, mode: str
) -> Coverage:
    """Build a :class:`Coverage` from one boolean mask per segment (priority order).

    Parameters
    ----------
    masks : sequence of ndarray of bool
        The segments' conditions, evaluated on every customer.
    names : sequence of str
        Segment names, same order.
    catch_all : str
        Name of the catch-all segment.
    mode : {"priority", "tags"}
    """
    n = len(masks[0]) if masks else 0
    stacked = np.vstack(masks) if masks else np.zeros((0, n), dtype=bool)
    matched = stacked.sum(axis=1).astype("int64")
    anything = stacked.any(axis=0) if masks else np.zeros(n, dtype=bool)
    rest = int((~anything).sum())
    labels = [*names, catch_all]
    if mode == "priority":
        first = assign_first(stacked)
        size = np.bincount(first, minlength=len(labels)).astype("int64")
        table = pd.DataFrame(
            {"size": size, "matched": np.append(matched, rest)},
            index=pd.Index(labels, name="segment"),
        )
        overlaps = None
    else:
        size = np.append(matched, rest)
        table = pd.DataFrame({"size": size}, index=pd.Index(labels, name="segment"))
        counts = stacked.astype("int64") @ stacked.T.astype("int64")
        overlaps = pd.DataFrame(
            counts,
            index=pd.Index(list(names), name="segment"),
            columns=pd.Index(list(names), name="segment"),
        )
    table.insert(1, "share", table["size"] / n if n else np.nan)
    empty = tuple(name for name, s in zip(names, table["size"], strict=False) if s == 0)
    return Coverage(table=table, overlaps=overlaps, empty=empty, n_customers=n, mode=mode)


def assign_first(stacked: np.ndarray) -> np.ndarray:
    """Index of the first true row per column, or ``len(stacked)`` (the catch-all) if none.

    Examples
    --------
    >>> assign_first(np.array([[False, True, False], [True, True, False]])).tolist()
    [1, 0, 2]
    """
    n_segments, n = stacked.shape
    with_rest = np.vstack([stacked, np.ones((1, n), dtype=bool)])
    return np.argmax(with_rest, axis=0).astype("int64") if n else np.zeros(0, dtype="int64")
