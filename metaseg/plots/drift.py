"""Drift of a segmentation: PSI of each fact per population, and customer migration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg._params import check_choice
from metaseg.exceptions import ConfigError
from metaseg.plots._style import MAX_ANNOTATED_CELLS, ink_for, new_axes, plain_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WHAT = ("psi", "migration")


def plot_drift(report: Any, what: str = "psi", *, ax: Axes | None = None) -> Figure:
    """Draw a drift report as a heatmap.

    Parameters
    ----------
    report : DriftReport
        From :func:`metaseg.over_time.drift_report`.
    what : {"psi", "migration"}, default "psi"
        ``"psi"``: facts in rows, populations (everybody, then each base segment) in
        columns, colour = PSI (capped at 0.5; 0.1 and 0.25 are the usual moderate and
        major levels). ``"migration"``: previous segment in rows, today's in columns,
        colour = share of the previous segment's customers.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If ``report`` is not a DriftReport, ``what`` is unknown, or the report has no
        PSI (no reference) or no migration (no previous labels).

    Examples
    --------
    >>> fig = plot_drift(report, "psi")  # doctest: +SKIP
    """
    from metaseg.fact_reference import EVERYONE
    from metaseg.over_time.drift import DriftReport

    owner = "plot_drift"
    check_choice(owner, "what", what, WHAT)
    if not isinstance(report, DriftReport):
        raise ConfigError(
            f"{owner}: report must be a DriftReport (metaseg.over_time.drift_report), got "
            f"{type(report).__name__}."
        )
    if what == "psi":
        if len(report.psi) == 0:
            raise ConfigError(
                f"{owner}: the report has no PSI (it was made without reference facts); "
                "call drift_report(..., reference_facts=fit_facts)."
            )
        table = report.psi.pivot_table(index="fact", columns="population", values="psi")
        columns = [EVERYONE] + sorted(c for c in table.columns if c != EVERYONE)
        order = table[EVERYONE].sort_values(ascending=False).index
        table = table.reindex(index=order, columns=columns)
        values, vmax, cmap_name = table.to_numpy(dtype=np.float64), 0.5, "OrRd"
        label, fmt = "population stability index", "{:.2f}"
        xlabel, ylabel = "population", "fact"
        title = "Fact drift since the fit (PSI; 0.1 moderate, 0.25 major)"
    else:
        if report.migration is None:
            raise ConfigError(
                f"{owner}: the report has no migration; call drift_report(..., "
                "previous_labels=last_exported_labels)."
            )
        table = report.migration
        counts = table.to_numpy(dtype=np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        vmax, cmap_name = 1.0, "Blues"
        label, fmt = "share of the previous segment's customers", "{:.0%}"
        xlabel, ylabel = "today's segment", "previous segment"
        title = (
            f"Migration of {report.overall['n_common']:,} customers: "
            f"{report.overall['moved_share']:.0%} moved"
        )
    n_rows, n_cols = values.shape
    fig, ax = new_axes(owner, ax, (max(6.0, 0.8 * n_cols + 4.0), max(4.0, 0.4 * n_rows + 2.0)))
    from matplotlib import colormaps

    cmap = colormaps[cmap_name]
    image = ax.imshow(
        np.nan_to_num(values),
        cmap=cmap,
        vmin=0.0,
        vmax=vmax,
        aspect="auto",
        interpolation="nearest",
    )
    fig.colorbar(image, ax=ax, shrink=0.9).set_label(label)
    if n_rows * n_cols <= MAX_ANNOTATED_CELLS:
        for (i, j), cell in np.ndenumerate(values):
            if np.isfinite(cell) and (what == "psi" or cell > 0):
                ink = ink_for(cmap(image.norm(min(cell, vmax))))
                ax.text(
                    j, i, fmt.format(cell), ha="center", va="center", fontsize="x-small", color=ink
                )
    ax.set_xticks(range(n_cols), [str(c) for c in table.columns], rotation=40, ha="right")
    ax.set_yticks(range(n_rows), [str(i) for i in table.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    plain_text(ax)
    return fig
