"""Where customers moved between two labellings (two models, or two scoring dates)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg._params import check_choice
from metaseg.alignment import align_labels, migration_table
from metaseg.exceptions import ConfigError, DataError
from metaseg.plots._style import MAX_ANNOTATED_CELLS, ink_for, new_axes, plain_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Label columns a migration can be drawn by.
BY = (schema.SEGMENT, schema.SEGMENT_NAME, schema.BASE_SEGMENT)
NORMALIZE = (None, "index")


def plot_migration(
    labels_before: pd.DataFrame,
    labels_after: pd.DataFrame,
    normalize: str | None = None,
    *,
    by: str = schema.SEGMENT,
    ax: Axes | None = None,
) -> Figure:
    """Draw how many customers moved from each segment (rows) to each segment (columns).

    Only customers present in both tables are counted; how many were only in one of
    them is written in the title, so nobody disappears unnoticed.

    Parameters
    ----------
    labels_before, labels_after : DataFrame
        Labels tables (``customer_id`` and the ``by`` column), e.g. ``model.labels_``
        of two models or two scoring dates.
    normalize : {None, "index"}, default=None
        None: cells count customers. ``"index"``: cells are the share of each
        *before* segment's customers that went to each *after* segment (rows sum to 1).
    by : {"segment", "segment_name", "base_segment"}, default="segment"
        Which label to compare: segment codes, segment names or base segments.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

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
    >>> after = pd.DataFrame({"customer_id": [1, 2, 3], "segment": ["a/0", "a/0", "b/0"]})
    >>> fig = plot_migration(before, after, normalize="index")
    >>> fig.axes[0].get_ylabel()
    'before: segment'
    """
    owner = "plot_migration"
    check_choice(owner, "normalize", normalize, NORMALIZE)
    check_choice(owner, "by", by, BY)
    for name, labels in (("labels_before", labels_before), ("labels_after", labels_after)):
        _check_by(owner, name, labels, by)
    aligned = align_labels(
        labels_before, labels_after, (by,), names=("labels_before", "labels_after"), owner=owner
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
    shown = counts / counts.sum(axis=1, keepdims=True) if normalize == "index" else counts

    n_rows, n_cols = shown.shape
    fig, ax = new_axes(owner, ax, (max(6.0, 0.7 * n_cols + 5.0), max(4.0, 0.45 * n_rows + 2.5)))
    from matplotlib import colormaps

    cmap = colormaps["Blues"]
    image = ax.imshow(
        shown,
        cmap=cmap,
        vmin=0.0,
        vmax=1.0 if normalize == "index" else max(float(shown.max()), 1.0),
        aspect="auto",
        interpolation="nearest",
    )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label(
        "share of the before segment's customers" if normalize == "index" else "customers"
    )
    if n_rows * n_cols <= MAX_ANNOTATED_CELLS:
        for (i, j), cell in np.ndenumerate(shown):
            if counts[i, j] > 0:
                text = f"{cell:.0%}" if normalize == "index" else f"{int(cell):,}"
                ink = ink_for(cmap(image.norm(cell)))
                ax.text(j, i, text, ha="center", va="center", fontsize="x-small", color=ink)
    ax.set_xticks(range(n_cols), list(table.columns), rotation=40, ha="right")
    ax.set_yticks(range(n_rows), list(table.index))
    ax.set_ylabel(f"before: {by}{_version(labels_before)}")
    ax.set_xlabel(f"after: {by}{_version(labels_after)}")
    stayed = float((rows.to_numpy() == cols.to_numpy()).mean())
    only_before, only_after = aligned.n_only_first, aligned.n_only_second
    ax.set_title(
        f"Migration of {aligned.n_common:,} customers in both: {stayed:.0%} kept their {by}\n"
        f"({only_before:,} only before, {only_after:,} only after, not counted)"
    )
    plain_text(ax)
    return fig


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
