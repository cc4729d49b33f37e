"""Where customers moved between two labellings (two models, or two scoring dates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg._params import check_choice
from metaseg.alignment import align_labels, migration_table
from metaseg.exceptions import ConfigError, DataError
from metaseg.plots._heatmap import Heatmap, draw_heatmap

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Label columns a migration can be drawn by.
BY = (schema.SEGMENT, schema.SEGMENT_NAME, schema.BASE_SEGMENT)
NORMALIZE = ("index", None)


def plot_migration(
    labels_before: pd.DataFrame,
    labels_after: pd.DataFrame,
    normalize: str | None = "index",
    *,
    by: str = schema.SEGMENT,
    ax: Axes | None = None,
) -> Figure:
    """Draw how many customers moved from each segment (rows) to each segment (columns).

    Every cell writes its number of customers. The colour is the share of the row's
    customers (``normalize="index"``), so a large segment does not wash out the others,
    or the count on a log scale (``normalize=None``).

    Only customers present in both tables are counted; how many were only in one of
    them is written in the title, so nobody disappears unnoticed. The title also says
    how many kept their base segment and how many stayed with the *matching*
    sub-segment: sub-segment numbers of two separate fits need not mean the same
    group, so each before sub-segment is paired with at most one after sub-segment of
    the same base segment, the pairs sharing the most customers (largest Jaccard
    index, optimal one-to-one assignment, as :func:`metaseg.over_time.match_identities`
    does). The paired cells are framed.

    Parameters
    ----------
    labels_before, labels_after : DataFrame
        Labels tables (``customer_id`` and the ``by`` column), e.g. ``model.labels_``
        of two models or two scoring dates.
    normalize : {"index", None}, default="index"
        ``"index"``: colour is the share of each *before* segment's customers that went
        to each *after* segment (rows sum to 1). None: colour is the count (log scale).
    by : {"segment", "segment_name", "base_segment"}, default="segment"
        Which label to compare: segment codes, segment names or base segments. Names
        are paired within their base segment when both tables have ``base_segment``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure (at most
        :data:`~metaseg.plots._heatmap.MAX_FIGSIZE` inches) is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If ``normalize`` or ``by`` is invalid or a table lacks the ``by`` column.
    DataError
        If a table lacks ``customer_id``, repeats a customer, has a missing label, or
        the two tables share no customer.

    Examples
    --------
    >>> before = pd.DataFrame({"customer_id": [1, 2, 3], "segment": ["a/0", "a/1", "b/0"]})
    >>> after = pd.DataFrame({"customer_id": [1, 2, 3], "segment": ["a/1", "a/1", "b/0"]})
    >>> fig = plot_migration(before, after)
    >>> fig.axes[0].get_ylabel()
    'before: segment'
    >>> print(fig.axes[0].get_title())
    Migration of 3 customers in both
    100% kept their base segment; 67% their matching sub-segment
    (sub-segments paired by shared customers, framed in red)
    (0 only before, 0 only after, not counted)
    """
    owner = "plot_migration"
    check_choice(owner, "normalize", normalize, NORMALIZE)
    check_choice(owner, "by", by, BY)
    for name, labels in (("labels_before", labels_before), ("labels_after", labels_after)):
        _check_by(owner, name, labels, by)
    columns = [by]
    if by == schema.SEGMENT_NAME and all(
        schema.BASE_SEGMENT in labels.columns for labels in (labels_before, labels_after)
    ):
        columns.append(schema.BASE_SEGMENT)
    aligned = align_labels(
        labels_before, labels_after, columns, names=("labels_before", "labels_after"), owner=owner
    )
    if aligned.n_common == 0:
        raise DataError(
            f"{owner}: labels_before and labels_after share no customer_id "
            f"({len(labels_before):,} and {len(labels_after):,} customers, compared as text). "
            "Pass labels of the same customers."
        )
    rows = aligned.column(by, 0).astype(str)
    cols = aligned.column(by, 1).astype(str)
    table = migration_table(aligned, by).reindex(
        index=_order(rows.unique(), labels_before, by),
        columns=_order(cols.unique(), labels_after, by),
        fill_value=0,
    )
    counts = table.to_numpy(dtype=np.float64)
    row_base = _bases(aligned, by, 0, table.index)
    col_base = _bases(aligned, by, 1, table.columns)
    pairs = [] if by == schema.BASE_SEGMENT else matched_cells(counts, row_base, col_base)
    title = _title(aligned, by, counts, pairs, row_base, col_base)

    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.patches import Rectangle

    if normalize == "index":
        colour = counts / counts.sum(axis=1, keepdims=True)
        norm: Any = Normalize(0.0, 1.0)
        label = "share of the before segment's customers"
    else:
        colour = np.where(counts > 0, counts, np.nan)
        norm = LogNorm(1.0, max(float(counts.max()), 10.0))
        label = "customers (log scale)"
    cell_text = np.vectorize(compact_count, otypes=[object])(counts)
    fig, ax = draw_heatmap(
        owner,
        Heatmap(
            colour=colour,
            cell_text=cell_text,
            rows=list(table.index),
            columns=list(table.columns),
            cmap="Blues",
            norm=norm,
            colorbar_label=label,
            xlabel=f"after: {by}{_version(labels_after)}",
            ylabel=f"before: {by}{_version(labels_before)}",
            title=title,
        ),
        ax,
    )
    for i, j in pairs:
        ax.add_patch(
            Rectangle((j - 0.5, i - 0.5), 1.0, 1.0, fill=False, edgecolor="#d62728", linewidth=1.2)
        )
    return fig


def compact_count(count: float) -> str:
    """A count in at most four characters: ``""`` for 0, ``"950"``, ``"1.2k"``, ``"35k"``, ``"1.2M"``.

    Examples
    --------
    >>> [compact_count(n) for n in (0, 7, 950, 1_234, 35_210, 1_250_000)]
    ['', '7', '950', '1.2k', '35k', '1.2M']
    """
    n = int(count)
    if n <= 0:
        return ""
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if n >= limit:
            value = n / limit
            return f"{value:.1f}{suffix}" if value < 9.95 else f"{value:.0f}{suffix}"
    return str(n)


def matched_cells(
    counts: np.ndarray, row_base: Sequence[str | None], col_base: Sequence[str | None]
) -> list[tuple[int, int]]:
    """Cells ``(row, column)`` of the best one-to-one pairing of rows and columns.

    Rows and columns are only paired within the same base segment (all together when a
    base is unknown, ``None``); the pairing maximises the summed Jaccard index
    ``n / (n_row + n_col - n)``; pairs sharing no customer are dropped.

    Examples
    --------
    >>> counts = np.array([[1.0, 9.0], [8.0, 2.0]])
    >>> matched_cells(counts, ["a", "a"], ["a", "a"])
    [(0, 1), (1, 0)]
    """
    from scipy.optimize import linear_sum_assignment

    row_sums = counts.sum(axis=1)
    col_sums = counts.sum(axis=0)
    union = row_sums[:, None] + col_sums[None, :] - counts
    jaccard = np.divide(counts, union, out=np.zeros_like(counts), where=union > 0)
    same = np.array([[r == c or r is None or c is None for c in col_base] for r in row_base])
    jaccard = np.where(same, jaccard, 0.0)
    chosen, partner = linear_sum_assignment(jaccard, maximize=True)
    return [(int(i), int(j)) for i, j in zip(chosen, partner, strict=True) if counts[i, j] > 0]


def _bases(aligned: Any, by: str, which: int, labels: Sequence[str]) -> list[str | None]:
    """Base segment of every label of one side (None where it cannot be told)."""
    if by == schema.BASE_SEGMENT:
        return [str(label) for label in labels]
    if by == schema.SEGMENT:
        return [str(label).rpartition("/")[0] or None for label in labels]
    if f"{schema.BASE_SEGMENT}_{aligned.names[which]}" not in aligned.joined.columns:
        return [None] * len(labels)
    pairs = pd.DataFrame(
        {
            "label": aligned.column(by, which).astype(str),
            "base": aligned.column(schema.BASE_SEGMENT, which).astype(str),
        }
    ).drop_duplicates("label")
    base_of = dict(zip(pairs["label"], pairs["base"], strict=True))
    return [base_of.get(str(label)) for label in labels]


def _title(
    aligned: Any,
    by: str,
    counts: np.ndarray,
    pairs: list[tuple[int, int]],
    row_base: list[str | None],
    col_base: list[str | None],
) -> str:
    n = aligned.n_common
    lines = [f"Migration of {n:,} customers in both"]
    kept = []
    if all(b is not None for b in row_base + col_base):
        same = np.array([[r == c for c in col_base] for r in row_base])
        kept.append(f"{float(counts[same].sum()) / n:.0%} kept their base segment")
    if by != schema.BASE_SEGMENT:
        stayed = sum(float(counts[i, j]) for i, j in pairs) / n
        kept.append(f"{stayed:.0%} their matching sub-segment")
    lines.append("; ".join(kept))
    if by != schema.BASE_SEGMENT:
        lines.append("(sub-segments paired by shared customers, framed in red)")
    lines.append(
        f"({aligned.n_only_first:,} only before, {aligned.n_only_second:,} only after, not counted)"
    )
    return "\n".join(lines)


def _check_by(owner: str, name: str, labels: Any, by: str) -> None:
    """Refuse what is not a labels table, or one without the ``by`` column, naming ``by=``."""
    if not isinstance(labels, pd.DataFrame):
        raise ConfigError(
            f"{owner}: {name} must be a labels table (DataFrame with customer_id and "
            f"{by!r}), got {type(labels).__name__}. Use model.labels_ or model.predict(facts)."
        )
    if by not in labels.columns:
        present = [c for c in BY if c in labels.columns]
        raise ConfigError(
            f"{owner}: {name} has no {by!r} column (by={by!r}).{did_you_mean(by, labels.columns)}"
            f" Label columns present: {available(present) if present else 'none'}; "
            "choose one of them with by=..."
        )


def _code_key(code: str) -> tuple[str, int, int]:
    """Sort key of a segment code: base segment, then sub-segment with noise last."""
    base, _, sub = str(code).rpartition("/")
    try:
        number = int(sub)
    except ValueError:
        return (str(code), 0, 0)
    return (base, int(number == schema.NOISE), number)


def _order(values: Any, labels: pd.DataFrame, by: str) -> list[str]:
    """Order labels like the segments: by code, names by their code when it is known."""
    values = [str(v) for v in values]
    if by == schema.SEGMENT:
        return sorted(values, key=_code_key)
    if by == schema.SEGMENT_NAME and schema.SEGMENT in labels.columns:
        pairs = labels[[schema.SEGMENT_NAME, schema.SEGMENT]].drop_duplicates()
        first: dict[str, tuple[str, int, int]] = {}
        for name, code in zip(
            pairs[schema.SEGMENT_NAME].astype(str), pairs[schema.SEGMENT], strict=True
        ):
            key = _code_key(code)
            first[name] = min(first.get(name, key), key)
        return sorted(values, key=lambda v: (first.get(v, (v, 0, 0)), v))
    return sorted(values)


def _version(labels: pd.DataFrame) -> str:
    """``" (model v3)"`` when the table names one model version, else an empty string."""
    if schema.MODEL_VERSION not in labels.columns:
        return ""
    versions = labels[schema.MODEL_VERSION].dropna().unique()
    if len(versions) != 1:
        return ""
    name = labels[schema.MODEL_NAME].dropna().unique() if schema.MODEL_NAME in labels else []
    prefix = f"{name[0]} " if len(name) == 1 else "model "
    return f" ({prefix}v{versions[0]})"
